// The Node.js counterpart of backend/benchmarks/baseline-hello: the same answer, no library.

interface HelloEvent {
  readonly name?: unknown;
}

export const handler = async (event: HelloEvent | null) => ({
  hello: typeof event?.name === 'string' ? event.name : 'world',
});
