/**
 * Status-bar item: the soonest grant's countdown, ticking every second in the
 * browser; hidden when there is no grant, amber near expiry, red once expired.
 */
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { GrantsModel } from './model';
import { formatCountdown, urgency } from './time';

export class AccessStatus extends Widget {
  constructor(
    private readonly model: GrantsModel,
    private readonly onOpen: () => void,
    icon?: LabIcon
  ) {
    super();
    if (icon) {
      icon.element({ container: this._icon, tag: 'span', stylesheet: 'statusBar' });
    }
    this._icon.className = 'jp-jitbench-status-icon';
    this._text.className = 'jp-jitbench-status-text';
    this.node.append(this._icon, this._text);
    this.id = 'jitbench-status';
    this.addClass('jp-jitbench-status');
    this.node.title = 'jitbench access — click to open the grants panel';
    this.node.addEventListener('click', () => this.onOpen());
    model.changed.connect(this.render, this);
    this._timer = window.setInterval(() => this.render(), 1000);
    this.render();
  }

  /** True when a grant is shown; the status bar uses it to hide the item. */
  get visible(): boolean {
    return this.model.soonest() !== null;
  }

  render(): void {
    const grant = this.model.soonest();
    this.node.classList.remove('jp-mod-near', 'jp-mod-expired');
    if (!grant) {
      this._text.textContent = '';
      this.node.dataset.grantId = '';
      this.hide();
      return;
    }
    const left = this.model.secondsLeft(grant);
    const level = urgency(left, this.model.nearExpirySeconds);
    if (level !== 'ok') {
      this.node.classList.add(`jp-mod-${level}`);
    }
    const label = grant.incident || grant.id;
    this._text.textContent = `${label} ${formatCountdown(left)}`;
    this.node.dataset.grantId = grant.id;
    this.node.dataset.urgency = level;
    this.show();
  }

  dispose(): void {
    window.clearInterval(this._timer);
    super.dispose();
  }

  private _timer: number;
  private _icon = document.createElement('span');
  private _text = document.createElement('span');
}
