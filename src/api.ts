/**
 * Calls to the jitbench server extension under `<base_url>/jitbench/`.
 *
 * ServerConnection adds the token and the XSRF header that Jupyter requires on
 * POST, so the extension needs no auth code of its own.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface ILease {
  lease_id: string;
  kind: string;
  path?: string;
  role?: string;
  issued?: string;
  expires?: string;
  renewable?: boolean;
  revocable_early?: boolean;
  state?: string;
}

export interface IGrant {
  id: string;
  incident?: string;
  reason?: string;
  user?: string;
  origin?: string;
  issued?: string;
  expires?: string;
  max_expires?: string;
  renewable?: boolean;
  state: string;
  verified?: boolean | null;
  leases: ILease[];
}

export interface IGrantList {
  grants: IGrant[];
  server_time: string;
  near_expiry_seconds: number;
}

/** A failed call, carrying the server's one-line message. */
export class JitbenchRequestError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

/** Call `/jitbench/<endpoint>` and return its JSON body, or throw a JitbenchRequestError. */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'jitbench', endpoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new JitbenchRequestError(
      `the Jupyter server did not answer (${String(error)})`,
      0
    );
  }
  const text = await response.text();
  let body: any = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text };
  }
  if (!response.ok) {
    throw new JitbenchRequestError(
      body.message || `${response.status} ${response.statusText}`,
      response.status
    );
  }
  return body as T;
}
