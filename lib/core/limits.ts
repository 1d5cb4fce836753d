// The kernel's ranges for the options (net/ipv4/tcp.c: MAX_TCP_KEEPIDLE,
// MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT; TCP_USER_TIMEOUT takes any non-negative
// int). A file of their own: the preload's start-up reads them without
// loading the API's option checks (lib/core/options.ts).
export const MAX_KEEPALIVE_SECONDS = 32767;
export const MAX_COUNT = 127;
export const MAX_USER_TIMEOUT_MS = 2147483647;
