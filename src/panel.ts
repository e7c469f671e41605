/**
 * Side panel: every grant with its countdown, reason and leases, and one-click
 * renew and revoke. Leases Vault cannot revoke early (identity tokens, ...)
 * are marked so the user knows they live until their own expiry.
 */
import { Widget } from '@lumino/widgets';

import { IGrant, ILease } from './api';
import { GrantsModel } from './model';
import { formatCountdown, urgency } from './time';

function el(
  tag: string,
  className: string,
  text?: string
): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export class GrantsPanel extends Widget {
  constructor(private readonly model: GrantsModel) {
    super();
    this.id = 'jitbench-grants-panel';
    this.addClass('jp-jitbench-panel');
    this.title.caption = 'jitbench: grants and leases';
    model.changed.connect(this.render, this);
    this._timer = window.setInterval(() => this.tick(), 1000);
    this.render();
  }

  render(): void {
    const root = this.node;
    root.replaceChildren();
    root.appendChild(el('h2', 'jp-jitbench-panel-title', 'Access grants'));
    if (this.model.error) {
      root.appendChild(el('div', 'jp-jitbench-error', this.model.error));
    }
    const grants = this.model.grants;
    if (!grants.length) {
      root.appendChild(
        el('p', 'jp-jitbench-empty', 'No grant. Start one with New investigation or `jitbench access request`.')
      );
      return;
    }
    for (const grant of grants) {
      root.appendChild(this.renderGrant(grant));
    }
    this.tick();
  }

  /** Update only the countdowns, so a click in flight is not lost by a re-render. */
  tick(): void {
    for (const node of Array.from(
      this.node.querySelectorAll<HTMLElement>('.jp-jitbench-countdown')
    )) {
      const grant = this.model.grants.find(g => g.id === node.dataset.grantId);
      if (!grant) {
        continue;
      }
      const left = this.model.secondsLeft(grant);
      const live = grant.state === 'active';
      const level = live ? urgency(left, this.model.nearExpirySeconds) : 'expired';
      node.textContent = live ? formatCountdown(left) : grant.state;
      node.dataset.urgency = level;
    }
  }

  private renderGrant(grant: IGrant): HTMLElement {
    const card = el('section', 'jp-jitbench-grant');
    card.dataset.grantId = grant.id;
    card.dataset.state = grant.state;
    const head = el('div', 'jp-jitbench-grant-head');
    head.appendChild(el('span', 'jp-jitbench-incident', grant.incident || grant.id));
    const countdown = el('span', 'jp-jitbench-countdown');
    countdown.dataset.grantId = grant.id;
    head.appendChild(countdown);
    card.appendChild(head);
    if (grant.reason) {
      card.appendChild(el('div', 'jp-jitbench-reason', grant.reason));
    }
    const meta = [grant.id, grant.user, grant.origin].filter(Boolean).join(' · ');
    card.appendChild(el('div', 'jp-jitbench-meta', meta));
    if (grant.verified === false) {
      card.appendChild(el('div', 'jp-jitbench-warning', 'Vault no longer knows this grant.'));
    }
    if (grant.leases.length) {
      const list = el('ul', 'jp-jitbench-leases');
      for (const lease of grant.leases) {
        list.appendChild(this.renderLease(lease));
      }
      card.appendChild(list);
    }
    if (grant.state === 'active') {
      const actions = el('div', 'jp-jitbench-actions');
      if (grant.renewable !== false) {
        actions.appendChild(this.button('Renew', 'jp-jitbench-renew', () => this.model.renew(grant.id)));
      }
      actions.appendChild(this.button('Revoke', 'jp-jitbench-revoke', () => this.model.revoke(grant.id)));
      card.appendChild(actions);
    }
    return card;
  }

  private renderLease(lease: ILease): HTMLElement {
    const item = el('li', 'jp-jitbench-lease');
    item.dataset.leaseId = lease.lease_id;
    const what = [lease.kind, lease.role || lease.path].filter(Boolean).join(' ');
    item.appendChild(el('span', 'jp-jitbench-lease-what', what));
    if (lease.state && lease.state !== 'active') {
      item.appendChild(el('span', 'jp-jitbench-lease-state', lease.state));
    }
    if (lease.kind === 'kv') {
      item.appendChild(el('span', 'jp-jitbench-badge', 'static secret'));
    } else if (lease.revocable_early === false) {
      item.appendChild(el('span', 'jp-jitbench-badge', 'cannot be revoked early'));
    }
    return item;
  }

  private button(label: string, className: string, action: () => Promise<void>): HTMLButtonElement {
    const button = document.createElement('button');
    button.className = `jp-Button jp-mod-styled ${className}`;
    button.textContent = label;
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = `${label}…`;
      try {
        await action();
      } catch {
        // the model keeps the one-line error and re-renders the panel with it
      } finally {
        button.disabled = false;
        button.textContent = label;
      }
    });
    return button;
  }

  dispose(): void {
    window.clearInterval(this._timer);
    super.dispose();
  }

  private _timer: number;
}
