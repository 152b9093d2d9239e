/** The four targets in report order: ceiling, typical Express, naive sender, gateway. */
import type { SelectableTarget } from '../options';
import { gatewayTarget } from './gateway';
import { startOwnTarget } from './own-process';
import type { TargetDefinition } from './target';

export const TARGETS: Readonly<Record<SelectableTarget, TargetDefinition>> = {
  ceiling: {
    name: 'ceiling',
    label: 'ceiling (node:http)',
    sends: false,
    start: (context) => startOwnTarget('ceiling.ts', context),
  },
  typical: {
    name: 'typical',
    label: 'typical Express (no send)',
    sends: false,
    start: (context) => startOwnTarget('typical-express.ts', context),
  },
  naive: {
    name: 'naive',
    label: 'naive sender',
    sends: true,
    start: (context) =>
      startOwnTarget('naive-sender.ts', context, {
        EVENTHUB_CONNECTION_STRING: context.emulator.connectionString,
        EVENTHUB_NAME: 'telemetry',
      }),
  },
  gateway: gatewayTarget,
};
