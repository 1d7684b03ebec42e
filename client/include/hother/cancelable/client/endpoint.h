// Where canceld listens: ResolveEndpoint, NormalizeEndpoint, UnixSocketPath.
// The SDK's name for the resolution the daemon and cancelctl share (see
// hother/cancelable/internal/endpoint.h for the order it follows).
#ifndef HOTHER_CANCELABLE_CLIENT_ENDPOINT_H_
#define HOTHER_CANCELABLE_CLIENT_ENDPOINT_H_

#include "hother/cancelable/internal/endpoint.h"

#endif  // HOTHER_CANCELABLE_CLIENT_ENDPOINT_H_
