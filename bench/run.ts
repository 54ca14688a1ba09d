// `npm run bench [-- <section>...]`: prints figures and ratios against baselines measured
// in the same run. Sections: store, durable, login, orders, post and metrics (both also part of orders),
// reads, realtime, ferretdb, cluster. Without arguments, all of them (post and metrics once, inside orders).
import { benchCluster } from './cluster.js'
import { benchDurableStore } from './durable-store.js'
import { benchEventStore } from './event-store.js'
import { benchFerretDb } from './ferretdb-cost.js'
import { benchLogin } from './login.js'
import { benchMetricsCost, benchOrdersApi, benchPostThroughput } from './orders-api.js'
import { benchReadSide } from './read-side.js'
import { benchRealtime } from './realtime.js'

const sections: Record<string, () => Promise<void>> = {
  store: benchEventStore,
  durable: benchDurableStore,
  login: benchLogin,
  orders: benchOrdersApi,
  post: benchPostThroughput,
  metrics: benchMetricsCost,
  reads: benchReadSide,
  realtime: benchRealtime,
  ferretdb: benchFerretDb,
  cluster: benchCluster,
}

/** Sections the orders section runs too. */
const PART_OF_ORDERS = new Set(['post', 'metrics'])
const wanted = process.argv.slice(2)
for (const name of wanted.length > 0 ? wanted : Object.keys(sections).filter((section) => !PART_OF_ORDERS.has(section))) {
  const section = sections[name]
  if (!section) throw new Error(`unknown bench section "${name}"; known: ${Object.keys(sections).join(', ')}`)
  await section()
}
