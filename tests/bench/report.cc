#include "tests/bench/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace hother::cancelable::bench {

std::string Fixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  const std::string digits = absl::StrFormat("%.*f", decimals, std::fabs(value));
  const size_t integer = std::min(digits.find('.'), digits.size());
  std::string out = value < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && i < integer && (integer - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Ratio(double value) {
  return std::isnan(value) ? "-" : absl::StrFormat("%.2fx", value);
}

std::string Verdict(bool met) { return met ? "met" : "**missed**"; }

std::string Report::Text() const {
  std::string out;
  for (const Table& table : tables_) {
    std::vector<size_t> width(table.header.size(), 0);
    auto measure = [&](const std::vector<std::string>& row) {
      for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
        width[i] = std::max(width[i], row[i].size());
      }
    };
    measure(table.header);
    for (const auto& row : table.rows) measure(row);
    auto line = [&](const std::vector<std::string>& row) {
      std::string text;
      for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
        // The label is left-aligned, the figures right-aligned.
        text += i == 0 ? absl::StrFormat("%-*s", width[i], row[i])
                       : absl::StrFormat("  %*s", width[i], row[i]);
      }
      return text + "\n";
    };
    absl::StrAppend(&out, "\n", table.title, "\n", line(table.header));
    for (const auto& row : table.rows) out += line(row);
    for (const std::string& note : table.notes) absl::StrAppend(&out, "  ", note, "\n");
  }
  return out;
}

std::string Report::Markdown() const {
  std::string out;
  for (const Table& table : tables_) {
    absl::StrAppend(&out, "\n#### ", table.title, "\n\n| ", absl::StrJoin(table.header, " | "),
                    " |\n|");
    for (size_t i = 0; i < table.header.size(); ++i) out += i == 0 ? " --- |" : " ---: |";
    out += "\n";
    for (const auto& row : table.rows)
      absl::StrAppend(&out, "| ", absl::StrJoin(row, " | "), " |\n");
    if (!table.notes.empty()) out += "\n";
    for (const std::string& note : table.notes) absl::StrAppend(&out, note, "\n");
  }
  return out;
}

absl::Status SpliceInto(const std::string& path, const std::string& body) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const size_t begin = text.find(kBeginMarker);
  const size_t end = text.find(kEndMarker);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": needs the lines '", kBeginMarker, "' and then '", kEndMarker, "'"));
  }
  const size_t body_start = begin + std::string(kBeginMarker).size();
  const std::string updated =
      absl::StrCat(text.substr(0, body_start), "\n", body, "\n", text.substr(end));
  // Write a sibling and rename it over: a failed write leaves the file whole.
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << updated;
    if (!out.flush()) return absl::UnavailableError(absl::StrCat(temp, ": cannot be written"));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot replace ", path));
  }
  return absl::OkStatus();
}

}  // namespace hother::cancelable::bench
