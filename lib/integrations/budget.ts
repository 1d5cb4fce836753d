// The detection budget (TCP_KEEPALIVE_DETECT_WITHIN, NAT_IDLE, PROBES) for the
// preload: a file of its own, bundled with the arithmetic it needs
// (scripts/bundle-preload.mjs), that lib/integrations/environment.ts loads
// only where those variables are set, so the start-up bundle does not carry it.
export { scheduleFor, type Schedule } from '../kernel-view/detection-budget.js';
