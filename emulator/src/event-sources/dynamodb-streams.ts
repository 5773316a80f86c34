// Reads a DynamoDB stream (moto's or AWS's) and hands out the records in the shape Lambda's
// event source mapping gives a function: what `npm start` and the end-to-end tests use to
// feed stream consumers. Lambda's poller is not a library anyone ships, so this is ours.
import {
  type _Record,
  type AttributeValue,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';

/** One record as a Lambda function receives it (`aws_lambda_events::dynamodb::EventRecord`). */
export interface DynamoDbStreamRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventVersion: string;
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly eventSourceARN: string;
  readonly dynamodb: Record<string, unknown>;
}

/** The event a stream consumer is invoked with. */
export interface DynamoDbStreamEvent {
  readonly Records: DynamoDbStreamRecord[];
}

export interface DynamoDbStreamSourceOptions {
  /** The table's `LatestStreamArn`. */
  readonly streamArn: string;
  /** Records per event, as the mapping's `BatchSize`. @default 100 (Lambda's default) */
  readonly batchSize?: number;
  /**
   * Where a new mapping starts reading: every record still in the stream, or only those written
   * after the first poll (shards that appear later are read from their start, as Lambda does).
   * @default 'TRIM_HORIZON'
   */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** @default a client from the environment (`AWS_ENDPOINT_URL` points it at moto) */
  readonly client?: DynamoDBStreamsClient;
  /** @default AWS_REGION, else 'eu-west-1' */
  readonly region?: string;
}

/**
 * Reads every shard of a stream from its start (`TRIM_HORIZON`, as a new mapping with
 * `StartingPosition: TRIM_HORIZON`), remembering where it stopped. `poll()` returns the
 * records that arrived since the last call; `replay()` hands the last batch out again, as
 * Lambda does when a batch fails.
 */
export class DynamoDbStreamSource {
  private readonly client: DynamoDBStreamsClient;
  private readonly region: string;
  private readonly tableRegion: string;
  private readonly batchSize: number;
  /** Next iterator per shard id; undefined once a closed shard is read to its end. */
  private readonly iterators = new Map<string, string | undefined>();
  private last: DynamoDbStreamEvent | undefined;
  private discovered = false;

  constructor(private readonly options: DynamoDbStreamSourceOptions) {
    this.region = options.region ?? process.env.AWS_REGION ?? 'eu-west-1';
    this.client = options.client ?? new DynamoDBStreamsClient({ region: this.region });
    // Records carry the table's region; the stream ARN names it (moto's records do not).
    this.tableRegion = options.streamArn.split(':')[3] || this.region;
    this.batchSize = options.batchSize ?? 100;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10_000) {
      throw new RangeError(`batchSize must be an integer from 1 to 10000, not ${options.batchSize}`);
    }
  }

  /** Reads the shards now, so that a LATEST position starts here and not at the first poll. */
  async start(): Promise<void> {
    await this.discoverShards();
  }

  /** Records written since the last poll, at most `batchSize`; undefined when there are none. */
  async poll(): Promise<DynamoDbStreamEvent | undefined> {
    await this.discoverShards();
    const records: DynamoDbStreamRecord[] = [];
    for (const [shardId, iterator] of this.iterators) {
      if (iterator === undefined || records.length >= this.batchSize) continue;
      const page = await this.client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: this.batchSize - records.length }),
      );
      this.iterators.set(shardId, page.NextShardIterator);
      for (const record of page.Records ?? []) records.push(this.toLambdaRecord(record));
    }
    if (records.length === 0) return undefined;
    this.last = { Records: records };
    return this.last;
  }

  /** The last batch again (a redelivery after a failed invocation). */
  replay(): DynamoDbStreamEvent | undefined {
    return this.last;
  }

  private async discoverShards(): Promise<void> {
    const description = await this.client.send(
      new DescribeStreamCommand({ StreamArn: this.options.streamArn }),
    );
    const latest = !this.discovered && this.options.startingPosition === 'LATEST';
    for (const shard of description.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || this.iterators.has(shard.ShardId)) continue;
      const iterator = await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.options.streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: latest ? 'LATEST' : 'TRIM_HORIZON',
        }),
      );
      this.iterators.set(shard.ShardId, iterator.ShardIterator);
    }
    this.discovered = true;
  }

  private toLambdaRecord(record: _Record): DynamoDbStreamRecord {
    const change = record.dynamodb ?? {};
    const dynamodb: Record<string, unknown> = {
      // The SDK parses the timestamp into a Date; Lambda sends epoch seconds.
      ApproximateCreationDateTime:
        change.ApproximateCreationDateTime instanceof Date
          ? Math.floor(change.ApproximateCreationDateTime.getTime() / 1000)
          : change.ApproximateCreationDateTime,
      Keys: wireImage(change.Keys),
      NewImage: wireImage(change.NewImage),
      OldImage: wireImage(change.OldImage),
      SequenceNumber: change.SequenceNumber,
      SizeBytes: change.SizeBytes,
      StreamViewType: change.StreamViewType,
    };
    for (const key of Object.keys(dynamodb)) if (dynamodb[key] === undefined) delete dynamodb[key];
    return {
      eventID: record.eventID ?? '',
      eventName: (record.eventName ?? 'MODIFY') as DynamoDbStreamRecord['eventName'],
      eventVersion: record.eventVersion ?? '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.tableRegion,
      eventSourceARN: this.options.streamArn,
      dynamodb,
    };
  }
}

type WireValue = Record<string, unknown>;

/** An image as JSON on the wire: binary values back to base64, the rest as the SDK gives them. */
function wireImage(image: Record<string, AttributeValue> | undefined): Record<string, WireValue> | undefined {
  if (!image) return undefined;
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, wireValue(value)]));
}

function wireValue(value: AttributeValue): WireValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(wireValue) };
  if (value.M !== undefined) return { M: wireImage(value.M) ?? {} };
  const { $unknown: _unknown, ...known } = value as AttributeValue & { $unknown?: unknown };
  return known;
}
