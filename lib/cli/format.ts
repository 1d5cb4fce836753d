// Times as a person reads them, for every command's text output.

/** Milliseconds as a person reads them: `30 s`, `5 min 50 s`, `1.5 s`. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text = [h && `${h} h`, m && `${m} min`, (s || total === 0) && `${s} s`].filter(Boolean).join(' ');
  return ms % 1000 === 0 || total >= 60 ? text : `${Number((ms / 1000).toFixed(3))} s`;
}

/** Milliseconds as seconds with up to three decimals: `30 s`, `1.024 s`. */
export function formatSeconds(ms: number): string {
  // Whole seconds (most keepalive values) without toFixed: inspect calls this for every socket.
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${Number((ms / 1000).toFixed(3))} s`;
}
