/**
 * Countdown arithmetic and formatting shared by the status bar and the panel.
 */

export type Urgency = 'ok' | 'near' | 'expired';

/** Seconds left until `expires` (ISO text), given the server's clock offset in ms. */
export function secondsLeft(
  expires: string | undefined,
  clockOffsetMs: number
): number {
  if (!expires) {
    return Infinity;
  }
  const end = Date.parse(expires);
  if (isNaN(end)) {
    return Infinity;
  }
  return (end - (Date.now() + clockOffsetMs)) / 1000;
}

/** "1:02:03", "12:34" or "0:07"; "expired" at or below zero. */
export function formatCountdown(seconds: number): string {
  if (!isFinite(seconds)) {
    return 'no expiry';
  }
  if (seconds <= 0) {
    return 'expired';
  }
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Which colour a countdown gets: amber within `nearSeconds`, red once expired. */
export function urgency(seconds: number, nearSeconds: number): Urgency {
  if (seconds <= 0) {
    return 'expired';
  }
  return seconds <= nearSeconds ? 'near' : 'ok';
}
