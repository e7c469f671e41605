/**
 * jitbench JupyterLab extension: a status-bar countdown of the soonest access
 * expiry, a side panel of grants and leases with renew/revoke, and a
 * "New investigation" launcher and palette entry.
 */
import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, showErrorMessage } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IStatusBar } from '@jupyterlab/statusbar';
import { LabIcon } from '@jupyterlab/ui-components';

import { requestAPI } from './api';
import { GrantsModel } from './model';
import { GrantsPanel } from './panel';
import { AccessStatus } from './statusbar';

const KEY_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
  '<path class="jp-icon3" fill="#616161" d="M7 14a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm5.65-4A6 6 0 1 0 ' +
  '12.65 14H17v4h4v-4h2v-4z"/></svg>';

export const keyIcon = new LabIcon({ name: 'jitbench:key', svgstr: KEY_SVG });

export namespace CommandIDs {
  export const newInvestigation = 'jitbench:new-investigation';
  export const openPanel = 'jitbench:open-grants';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jitbench:plugin',
  description: 'Access countdown, grants panel and New investigation for jitbench.',
  autoStart: true,
  optional: [IStatusBar, ILauncher, ICommandPalette, IDefaultFileBrowser, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    statusBar: IStatusBar | null,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const model = new GrantsModel();
    const panel = new GrantsPanel(model);
    panel.title.icon = keyIcon;
    app.shell.add(panel, 'right', { rank: 600 });

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Show access grants',
      caption: 'Grants and leases of jitbench, with renew and revoke',
      icon: keyIcon,
      execute: () => app.shell.activateById(panel.id)
    });

    app.commands.addCommand(CommandIDs.newInvestigation, {
      label: (args: any) =>
        args?.title ? `Investigation: ${args.title}` : 'New investigation',
      caption: 'Create an investigation notebook (a starter, or a runbook template)',
      icon: keyIcon,
      execute: async (args: any) => {
        const cwd = (args && args.cwd) ?? fileBrowser?.model.path ?? '';
        try {
          const created = await requestAPI<{ path: string }>('investigations', {
            method: 'POST',
            body: JSON.stringify({ path: cwd, template: args?.template ?? null })
          });
          return app.commands.execute('docmanager:open', {
            path: created.path,
            factory: 'Notebook'
          });
        } catch (error) {
          await showErrorMessage('New investigation', (error as Error).message);
        }
      }
    });

    if (statusBar) {
      const status = new AccessStatus(
        model,
        () => app.commands.execute(CommandIDs.openPanel),
        keyIcon
      );
      statusBar.registerStatusItem('jitbench:access-status', {
        item: status,
        align: 'left',
        rank: 1000,
        isActive: () => status.visible,
        activeStateChanged: model.changed
      });
    }
    if (launcher) {
      launcher.add({
        command: CommandIDs.newInvestigation,
        category: 'Incident',
        rank: 0
      });
      // one more card per runbook template; a server without templates just has the starter
      requestAPI<{ templates: { name: string; title: string }[] }>('templates')
        .then(reply =>
          reply.templates.forEach((t, i) =>
            launcher.add({
              command: CommandIDs.newInvestigation,
              args: { template: t.name, title: t.title },
              category: 'Incident',
              rank: i + 1
            })
          )
        )
        .catch(error => console.warn('jitbench: no templates listed:', error));
    }
    if (palette) {
      palette.addItem({ command: CommandIDs.newInvestigation, category: 'jitbench' });
      palette.addItem({ command: CommandIDs.openPanel, category: 'jitbench' });
    }
  }
};

export default plugin;
