/**
 * Lets one alert per key through per cooldown of event time; repeats inside it are suppressed.
 * Event time that goes backwards (a replay from earlier) counts as inside the cooldown.
 */
export class AlertCooldown {
  private readonly lastSent = new Map<string, number>();

  constructor(private readonly cooldownMs: number) {}

  admit(key: string, time: number): boolean {
    const last = this.lastSent.get(key);
    if (last !== undefined && time - last < this.cooldownMs) return false;
    this.lastSent.set(key, time);
    return true;
  }
}
