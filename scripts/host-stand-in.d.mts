export interface HostCustomer {
  customerId: string;
  phone?: string;
  account?: string;
  password?: string;
  displayName?: string;
}

export interface HostEvent {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

export interface HostStandIn {
  readonly port: number;
  readonly directoryUrl: string;
  readonly eventsUrl: string;
  state: {
    events: Map<string, HostEvent>;
    deliveries: number;
    refused: number;
    calls: { lookup: number; verify: number; events: number };
    failures: Map<string, number>;
    delayMs: number;
    inFlight: number;
  };
  customers: HostCustomer[];
  events(): HostEvent[];
  failNext(path: string, times?: number): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export function startHostStandIn(options: {
  secret: string;
  port?: number;
  customers?: HostCustomer[];
}): Promise<HostStandIn>;
