/** One HTTP exchange with the BFF, as the client asks a transport for it. */
export interface TransportRequest {
  method: 'GET' | 'POST';
  url: string;
  /** POST only: sent as JSON (the BFF takes no other body). */
  body?: unknown;
  headers: Record<string, string>;
  /** Milliseconds before the transport gives up. */
  timeout: number;
}

export interface TransportResponse {
  status: number;
  /** The body as parsed JSON; undefined when there is none, or it is not JSON (another server's page). */
  data: unknown;
}

/** Resolves with whatever status the server answered; rejects only when no answer came (network, timeout). */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;
