// Ordering objects by one attribute, for sorted_search. Pure.

import { ScalarType } from '../common/datatypes';
import { SpaceLayout } from '../common/config';
import { compareElements, readScalar } from '../common/values';
import { StoredObject } from './apply';

/**
 * Sorts [key, object] pairs by a scalar attribute (index -1 is the key), smallest first or largest
 * first; ties keep key order, so the result does not depend on where objects were stored.
 */
export function sortObjects(space: SpaceLayout, objects: readonly [Buffer, StoredObject][], index: number, descending: boolean): [Buffer, StoredObject][] {
  const t = (index < 0 ? space.spec.key.type : space.spec.attributes[index].type).kind as ScalarType;
  const valueOf = ([key, obj]: readonly [Buffer, StoredObject]) => readScalar(t, index < 0 ? key : obj.values[index]);
  return [...objects].sort((a, b) => {
    const c = compareElements(valueOf(a), valueOf(b));
    return (descending ? -c : c) || Buffer.compare(a[0], b[0]);
  });
}
