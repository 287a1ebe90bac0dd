#pragma once

#include <string_view>

// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram to the unix
// socket named by $NOTIFY_SOCKET ("/path" or "@abstract"). The unit is Type=notify
// (packaging/nexanest.service.in); outside systemd the variable is unset and nothing is sent.
namespace nn::app {

// Sends `state` ("READY=1", "STOPPING=1", "STATUS=..."; several separated by '\n'). Returns
// whether a datagram was sent; false without $NOTIFY_SOCKET or when sending failed (readiness
// is advisory: the service runs either way).
bool SdNotify(std::string_view state);

}  // namespace nn::app
