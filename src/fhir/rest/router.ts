/**
 * @module Maps (method, path) to a handler and its interaction (http://hl7.org/fhir/R4/http.html).
 * A known path with an unsupported method → 405; an unknown path → 404.
 */
import { CarebridgeError } from '../../errors/index.js';
import type { FhirInteraction } from '../types.js';
import { bundleHandler } from './bundle-handler.js';
import { metadataHandler } from './capability.js';
import { conditionalDeleteHandler, conditionalUpdateHandler, createHandler, deleteHandler, readHandler, updateHandler, vreadHandler } from './crud-handlers.js';
import { everythingHandler } from './everything.js';
import { historyHandler, searchHandler } from './search-handlers.js';
import type { FhirHandler, FhirMethod } from './types.js';
import { validateHandler } from './validate-handler.js';

export interface Route {
  readonly handler: FhirHandler;
  readonly interaction: FhirInteraction;
}

type Table = Partial<Record<FhirMethod, Route>>;

const r = (handler: FhirHandler, interaction: FhirInteraction): Route => ({ handler, interaction });

/** The methods allowed on a path shape, given whether the URL carries a query (conditional forms). */
function routesFor(path: readonly string[], hasQuery: boolean): Table | undefined {
  const [a, b, c, d] = path;
  switch (path.length) {
    case 0:
      return { GET: r(searchHandler, 'search'), POST: r(bundleHandler, 'operation') };
    case 1:
      if (a === 'metadata') return { GET: r(metadataHandler, 'read') };
      if (a === '_history') return { GET: r(historyHandler, 'history') };
      if (a!.startsWith('$') || a!.startsWith('_')) return undefined;
      return {
        GET: r(searchHandler, 'search'),
        POST: r(createHandler, 'create'),
        ...(hasQuery ? { PUT: r(conditionalUpdateHandler, 'update'), DELETE: r(conditionalDeleteHandler, 'delete') } : {}),
      };
    case 2:
      if (b === '_search') return { POST: r(searchHandler, 'search'), GET: r(searchHandler, 'search') };
      if (b === '_history') return { GET: r(historyHandler, 'history') };
      if (b === '$validate') return { POST: r(validateHandler, 'operation') };
      if (b!.startsWith('$')) return undefined;
      return { GET: r(readHandler, 'read'), PUT: r(updateHandler, 'update'), DELETE: r(deleteHandler, 'delete') };
    case 3:
      if (c === '_history') return { GET: r(historyHandler, 'history') };
      if (c === '$validate') return { POST: r(validateHandler, 'operation') };
      if (c === '$everything' && a === 'Patient') return { GET: r(everythingHandler, 'operation'), POST: r(everythingHandler, 'operation') };
      return undefined;
    case 4:
      if (c === '_history' && d) return { GET: r(vreadHandler, 'vread') };
      return undefined;
    default:
      return undefined;
  }
}

export function routeRequest(method: FhirMethod, path: readonly string[], hasQuery: boolean): Route {
  const table = routesFor(path, hasQuery);
  if (!table) throw new CarebridgeError('CB_ERR_NOT_FOUND', `No FHIR interaction at /${path.join('/')}`);
  const route = table[method === 'HEAD' ? 'GET' : method];
  if (!route) throw new CarebridgeError('CB_ERR_METHOD_NOT_ALLOWED', `${method} is not supported on /${path.join('/')}`);
  return route;
}
