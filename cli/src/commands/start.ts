import { resolve } from 'node:path';
import type { LocalCloud, LogSink } from '@ferrule/local-cloud';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';

interface StartFlags {
  arch?: string;
  runtime?: string;
  port: string;
  endpointPort: string;
  environments: string;
  values?: string;
  json?: boolean;
  watch?: boolean;
  build: boolean;
  assembly?: string;
  sqsRetryDelay?: string;
}

export function registerStart(program: Command) {
  program
    .command('start')
    .description('Build, synthesize, then serve the whole app on localhost until Ctrl-C (the local cloud)')
    .option(
      '--port <port>',
      'port of the first HTTP API; further APIs get the next ports (0: free ports)',
      '3000',
    )
    .option(
      '--endpoint-port <port>',
      'port of the local AWS endpoint, AWS_ENDPOINT_URL (0: a free port)',
      '4566',
    )
    .option('--environments <n>', 'execution environments per function (concurrent invocations)', '4')
    .option('--values <file>', 'local secrets and parameter overrides (default: .ferrule/local-values.json)')
    .option(
      '--sqs-retry-delay <seconds>',
      "failed SQS messages come back after this long instead of the queue's visibility timeout",
    )
    .option('--json', "print the functions' log lines as they wrote them (no pretty-printing)")
    .option(
      '--watch',
      'rebuild and swap functions on changes under backend/, re-synthesize on infrastructure/',
    )
    .option('--no-build', 'serve the artifacts and cdk.out as they are')
    .option('--assembly <dir>', 'serve another cloud assembly (implies --no-build)')
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx ferrule start',
        '  npx ferrule start --watch --port 8080',
        '  npx ferrule start --no-build --json',
        '',
        'Resources come from cdk.out (every stack): tables, queues, buses, rules, parameters, secrets and',
        'user pools are created in moto; functions run their artifacts under the Runtime API emulator.',
        'docs/local-cloud.md: what is emulated, how faithfully, and what is not.',
        '',
        'Exit codes: 0 stopped with Ctrl-C or SIGTERM, 1 the build, the synth or the start failed, 2 bad usage.',
      ].join('\n'),
    )
    .action(async (flags: StartFlags) => {
      const {
        artifactsFresh,
        artifactTable,
        buildFunctions,
        listFunctions,
        LOCAL_CLOUD_STATE,
        LOCAL_VALUES,
        parsePlatform,
        paths,
        Progress,
        startMoto,
        startWatch,
        synthesize,
        synthFresh,
      } = await startModules();
      const platform = parsePlatform(flags);
      if (platform.architecture !== hostArchitecture()) {
        throw new CliError(
          `the local cloud runs ${hostArchitecture()} artifacts on this machine; build them with --arch ${hostArchitecture()} (deploy ${platform.architecture} as usual)`,
        );
      }
      const port = portOption(flags.port, '--port');
      const endpointPort = portOption(flags.endpointPort, '--endpoint-port');
      const environments = Number(flags.environments);
      const retryDelay = flags.sqsRetryDelay === undefined ? undefined : Number(flags.sqsRetryDelay);
      if (
        retryDelay !== undefined &&
        !(Number.isInteger(retryDelay) && retryDelay >= 0 && retryDelay <= 43_200)
      ) {
        throw new CliError(
          `--sqs-retry-delay must be whole seconds from 0 to 43200, not ${flags.sqsRetryDelay}`,
        );
      }
      if (!Number.isInteger(environments) || environments < 1 || environments > 64) {
        throw new CliError(`--environments must be a whole number from 1 to 64, not ${flags.environments}`);
      }
      const assemblyDir = flags.assembly ? resolve(flags.assembly) : paths.cdkOut;
      const progress = new Progress();
      if (flags.build && !flags.assembly) {
        if (artifactsFresh(await listFunctions(), platform)) {
          progress.note('artifacts are newer than every change under backend/: no build');
        } else {
          const built = await progress.run('building every function (cargo lambda build --release)', (step) =>
            buildFunctions({ platform, progress: progress.interactive ? step.update : 'inherit' }),
          );
          process.stderr.write(`${artifactTable(built, process.stderr)}\n`);
        }
        if (synthFresh(platform)) {
          progress.note('cdk.out is newer than every change to the app: no synth');
        } else {
          await progress.run('synthesizing the CDK app (cdk synth, offline)', () =>
            synthesize(platform, 'quiet'),
          );
        }
      }
      const starting = progress.start('starting moto and the local cloud');
      // Loaded here, not at the top: the other commands never pay for the AWS SDK clients.
      const {
        AssemblyError,
        LocalCloud,
        LocalCloudError,
        LocalValuesError,
        LogFiles,
        LogSink,
        ProvisionError,
      } = await import('@ferrule/local-cloud');
      const moto = await startMoto();
      const log: LogSink = new LogSink({
        json: flags.json === true,
        color: process.stdout.isTTY === true && !process.env.NO_COLOR,
        // Every function's lines also go to .ferrule/logs/, where `ferrule logs` reads them.
        files: new LogFiles(paths.logs, {
          onError: (error) =>
            log.info(`function logs are no longer written to ${paths.logs}: ${error.message}`),
        }),
      });
      let cloud: LocalCloud;
      try {
        cloud = await LocalCloud.start({
          assemblyDir,
          motoEndpoint: moto.endpoint,
          port,
          endpointPort,
          maxEnvironments: environments,
          ...(retryDelay !== undefined ? { sqsRetryDelaySeconds: retryDelay } : {}),
          valuesFile: flags.values ? resolve(flags.values) : LOCAL_VALUES,
          stateFile: LOCAL_CLOUD_STATE,
          log,
        });
      } catch (error) {
        starting.fail();
        await moto.stop();
        if (
          error instanceof LocalCloudError ||
          error instanceof ProvisionError ||
          error instanceof LocalValuesError ||
          error instanceof AssemblyError
        ) {
          throw new CliError(error.message, 1);
        }
        throw error;
      }
      starting.succeed();
      process.stdout.write(`\n${cloud.summary()}\n\n`);
      const stopWatch =
        flags.watch && !flags.assembly
          ? startWatch({ cloud, platform, log, artifactsCurrent: flags.build })
          : undefined;
      log.info(
        `serving; Ctrl-C stops everything${flags.watch ? '; watching backend/ and infrastructure/' : ''}`,
      );

      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info(`${signal}: stopping functions, pollers and moto`);
          void (async () => {
            stopWatch?.();
            await cloud.stop();
            await moto.stop();
            resolve();
          })();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}

function portOption(value: string, option: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliError(`${option} must be a port number from 1 to 65535 (0: any free port), not ${value}`);
  }
  return port;
}

function hostArchitecture(): 'x86_64' | 'arm64' {
  return process.arch === 'arm64' ? 'arm64' : 'x86_64';
}

/** What the action uses, loaded when it runs: `ferrule --help` and the other commands never load it. */
async function startModules() {
  const [toolchain, buildCommand, localState, progress, watch] = await Promise.all([
    import('@ferrule/toolchain'),
    import('../actions/build.ts'),
    import('../local-state.ts'),
    import('../progress.ts'),
    import('../watch.ts'),
  ]);
  return { ...toolchain, ...buildCommand, ...localState, ...progress, ...watch };
}
