/**
 * The grants the status bar and the panel show, refreshed by a polite poll.
 *
 * Polling uses Lumino's Poll: every 5 s while the tab is visible, backing off
 * (up to 2 min) while the server fails, standing by while the tab is hidden
 * (document.visibilityState), and refreshing at once after a renew or revoke.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IGrant, IGrantList, requestAPI } from './api';
import { secondsLeft } from './time';

/** How long an expired grant stays in the status bar, in red, before it is hidden. */
const SHOW_EXPIRED_SECONDS = 15 * 60;

export class GrantsModel {
  constructor(options: { interval?: number } = {}) {
    this._poll = new Poll({
      auto: true,
      factory: () => this.refresh(),
      frequency: {
        interval: options.interval ?? 5000,
        backoff: true,
        max: 120 * 1000
      },
      linger: 0, // pause at the first tick after the tab is hidden, not one tick later
      name: 'jitbench:grants',
      standby: 'when-hidden'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get grants(): IGrant[] {
    return this._grants;
  }

  /** Milliseconds to add to the browser clock to get the server's clock. */
  get clockOffsetMs(): number {
    return this._clockOffsetMs;
  }

  get nearExpirySeconds(): number {
    return this._nearExpirySeconds;
  }

  /** The last error of a poll or an action, as one line ('' when none). */
  get error(): string {
    return this._error;
  }

  secondsLeft(grant: IGrant): number {
    return secondsLeft(grant.expires, this._clockOffsetMs);
  }

  /** The grant the status bar shows: the soonest active one, else a recently expired one. */
  soonest(): IGrant | null {
    const live = this._grants.filter(
      g => g.state === 'active' || g.state === 'expired'
    );
    const recent = live.filter(
      g => this.secondsLeft(g) > -SHOW_EXPIRED_SECONDS
    );
    const active = recent.filter(g => this.secondsLeft(g) > 0);
    const pool = active.length ? active : recent;
    if (!pool.length) {
      return null;
    }
    return pool.reduce((a, b) => (this.secondsLeft(b) < this.secondsLeft(a) ? b : a));
  }

  async refresh(): Promise<void> {
    try {
      const reply = await requestAPI<IGrantList>('grants');
      const serverNow = Date.parse(reply.server_time);
      this._clockOffsetMs = isNaN(serverNow) ? 0 : serverNow - Date.now();
      this._nearExpirySeconds = reply.near_expiry_seconds ?? 120;
      const snapshot = JSON.stringify(reply.grants);
      // re-render only on news, so a click landing during a poll is not lost with its button
      if (snapshot === this._snapshot && this._error === '') {
        return;
      }
      this._snapshot = snapshot;
      this._grants = reply.grants;
      this._error = '';
    } catch (error) {
      this._error = (error as Error).message;
      this._changed.emit();
      throw error; // a rejected poll tick is what makes Poll back off
    }
    this._changed.emit();
  }

  async renew(grantId: string): Promise<void> {
    await this._act(grantId, 'renew');
  }

  async revoke(grantId: string): Promise<void> {
    await this._act(grantId, 'revoke');
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _act(grantId: string, action: 'renew' | 'revoke'): Promise<void> {
    try {
      await requestAPI(`grants/${encodeURIComponent(grantId)}/${action}`, {
        method: 'POST'
      });
      this._error = '';
    } catch (error) {
      this._error = `${action} failed: ${(error as Error).message}`;
      this._changed.emit();
      throw error;
    } finally {
      void this._poll.refresh();
    }
  }

  private _poll: Poll;
  private _grants: IGrant[] = [];
  private _snapshot = '';
  private _clockOffsetMs = 0;
  private _nearExpirySeconds = 120;
  private _error = '';
  private _changed = new Signal<this, void>(this);
}
