import { ordersTableSchema } from './orders-table.ts';

/**
 * What each service of the app offers the functions added to it, by name: what
 * `stack.resources` hands out. Read by `ferrule new function --service` to refuse a name the
 * service lacks before writing anything (loading no CDK code); the stacks' tests hold each
 * stack's registered resources to it.
 */
export interface ServiceCatalogEntry {
  /** The stack class that holds the service. */
  readonly stack: string;
  /** `true`: tables, queues, buses, user pools and the HTTP API are created when first named. */
  readonly createsOnFirstUse: boolean;
  /** Tables by name: their indexes, and whether they have a stream. */
  readonly tables: Readonly<
    Record<string, { readonly indexes: readonly string[]; readonly stream: boolean }>
  >;
  /** Queues by name: whether a function consumes it already (a queue has one consumer). */
  readonly queues: Readonly<Record<string, { readonly consumed: boolean; readonly fifo: boolean }>>;
  readonly buses: readonly string[];
  readonly userPools: readonly string[];
  /** The HTTP API, and the user pool its JWT authorizer trusts; absent: none (yet). */
  readonly httpApi?: { readonly userPool?: string };
}

/** The services of infrastructure/bin/app.ts a function can be added to. */
export function serviceCatalog(): Readonly<Record<string, ServiceCatalogEntry>> {
  return {
    functions: {
      stack: 'FerruleServiceStack (FerruleFunctions-<stage>)',
      createsOnFirstUse: true,
      tables: {},
      queues: {},
      buses: [],
      userPools: [],
    },
    orders: {
      stack: 'OrdersStack (FerruleOrders-<stage>)',
      createsOnFirstUse: false,
      tables: {
        orders: { indexes: (ordersTableSchema().indexes ?? []).map((index) => index.name), stream: true },
      },
      queues: { fulfillment: { consumed: true, fifo: false } },
      buses: ['orders'],
      userPools: ['users'],
      httpApi: { userPool: 'users' },
    },
    hello: {
      stack: 'HelloStack (FerruleHello-<stage>)',
      createsOnFirstUse: false,
      tables: {},
      queues: {},
      buses: [],
      userPools: [],
      httpApi: {},
    },
  };
}
