import { useState } from 'preact/hooks'
import { messageOf } from '../api/client'
import type { ProjectionStatus } from '../api/types'
import { useInterval, useLoad, useSession } from '../hooks'

/** Polling while a rebuild runs (live lag), and otherwise. */
const REBUILDING_POLL_MS = 1000
const IDLE_POLL_MS = 5000

/** The read models (projections): generation, position, lag, and a rebuild that runs beside the live one. */
export function OperationsScreen() {
  const { api } = useSession()
  const projections = useLoad(async () => (await api.get<ProjectionStatus[]>('/api/admin/projections')).body, [])
  const [requested, setRequested] = useState<string>()
  const [error, setError] = useState<string>()
  const rebuilding = projections.data?.some((each) => each.rebuild !== undefined || each.state !== 'live') ?? false
  useInterval(projections.reload, rebuilding || requested !== undefined ? REBUILDING_POLL_MS : IDLE_POLL_MS)

  const rebuild = async (name: string) => {
    setError(undefined)
    setRequested(name)
    try {
      await api.post(`/api/admin/projections/${name}/rebuild`, {})
      projections.reload()
    } catch (failure) {
      setError(messageOf(failure))
    } finally {
      setTimeout(() => {
        setRequested((current) => (current === name ? undefined : current))
      }, 3000)
    }
  }

  return (
    <section aria-labelledby="operations-title">
      <h1 id="operations-title">Operations</h1>
      <p class="muted">
        Read models are rebuilt from the first event into a new generation while the current one keeps serving; queries switch
        when it has caught up.
      </p>
      {(error ?? projections.error) && (
        <p class="error" role="alert">
          {error ?? projections.error}
        </p>
      )}
      <div class="table-scroll">
        <table data-testid="projections">
          <caption class="visually-hidden">Projections</caption>
          <thead>
            <tr>
              <th scope="col">Projection</th>
              <th scope="col">State</th>
              <th scope="col" class="num">
                Generation
              </th>
              <th scope="col" class="num">
                Position
              </th>
              <th scope="col" class="num">
                Lag
              </th>
              <th scope="col">Rebuild</th>
            </tr>
          </thead>
          <tbody aria-live="polite">
            {projections.data?.map((each) => (
              <tr key={each.name} data-projection={each.name}>
                <th scope="row">{each.name}</th>
                <td>{each.state}</td>
                <td class="num">{each.generation}</td>
                <td class="num">{each.position}</td>
                <td class="num" data-testid="lag">
                  {each.lag}
                </td>
                <td>
                  {each.rebuild ? (
                    <span data-testid="rebuild-progress">
                      generation {each.rebuild.generation}: position {each.rebuild.position}, {each.rebuild.lag} behind
                    </span>
                  ) : (
                    <button type="button" disabled={requested === each.name} onClick={() => void rebuild(each.name)}>
                      Rebuild {each.name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
