/**
 * A load client that checks every answer: workers each own a slice of the
 * key space and write and read it in sequence, so each knows exactly what the
 * server should hold for its keys. Used by the soak and shutdown runs.
 *
 * @module
 */

/** What the client saw. */
export interface ClientTally {
  /** Requests answered. */
  requests: number;
  /** PUTs answered 200. */
  puts: number;
  /** GETs answered with the value last written. */
  hits: number;
  /** GETs answered "Key not found." */
  notFound: number;
  /** GETs of keys the client believed live (not expired) that were absent. */
  missingLive: number;
  /** GETs that returned a value other than the one last written: must be 0. */
  wrongValues: number;
  /** Answers with an unexpected status or body: must be 0. */
  badAnswers: number;
  /** Requests that failed without an answer, by error kind. */
  failures: Record<string, number>;
  /** Samples of bad answers and failures, for the report. */
  samples: string[];
}

/** What the client believes about one key. */
export interface KeyState {
  /** The value last acknowledged. */
  value: string;
  /** Client time (ms) the PUT was acknowledged. */
  ackedAt: number;
  /** TTL sent, seconds (0 = never). */
  ttl: number;
  /** Order of acknowledgement across all workers. */
  sequence: number;
}

/** Options for {@linkcode runCheckedLoad}. */
export interface CheckedLoadOptions {
  /** Base URL of the server. */
  url: string;
  /** Concurrent workers (one connection each, kept alive). */
  connections: number;
  /** Keys per worker. */
  keysPerWorker: number;
  /** Share of GETs, 0 to 1. */
  getShare: number;
  /** TTLs to draw from, in seconds (0 = never). */
  ttls: number[];
  /** Value length. */
  valueLength: number;
  /** Stop when this resolves (or at its time, in ms from now). */
  until: Promise<unknown>;
}

const PUT_OK = '{"status":"OK","message":"Key inserted/updated successfully."}';
const NOT_FOUND = '{"status":"ERROR","message":"Key not found."}';

function valueOf(worker: number, key: number, version: number, length: number) {
  const head = `w${worker}k${key}v${version}:"\\\t\n`;
  return (head + "x".repeat(length)).slice(0, length);
}

/** Describes an error with its chain of causes (fetch wraps the real one). */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 5;) {
    parts.push(String(e));
    e = (e as { cause?: unknown })?.cause;
  }
  return parts.join(" <- ");
}

function classify(error: unknown): string {
  const text = describe(error);
  if (/refused/i.test(text)) return "connection refused";
  if (
    /reset|closed|broken pipe|incomplete|truncat|unexpected end/i.test(text)
  ) {
    return "connection closed mid-request";
  }
  return text.slice(0, 80);
}

/**
 * Runs workers until `until` settles; returns the tally and the client's view
 * of every key it wrote.
 */
export async function runCheckedLoad(
  options: CheckedLoadOptions,
): Promise<{ tally: ClientTally; keys: Map<string, KeyState> }> {
  const tally: ClientTally = {
    requests: 0,
    puts: 0,
    hits: 0,
    notFound: 0,
    missingLive: 0,
    wrongValues: 0,
    badAnswers: 0,
    failures: {},
    samples: [],
  };
  const keys = new Map<string, KeyState>();
  let sequence = 0;
  let stopped = false;
  options.until.then(() => (stopped = true));
  const note = (text: string) => {
    if (tally.samples.length < 20) tally.samples.push(text);
  };

  const worker = async (w: number) => {
    const client = Deno.createHttpClient({ poolMaxIdlePerHost: 1 });
    let version = 0;
    let seed = w * 7919 + 1;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    try {
      while (!stopped) {
        const k = Math.floor(random() * options.keysPerWorker);
        const key = `soak-${w}-${k}`;
        try {
          if (random() < options.getShare) {
            const response = await fetch(
              `${options.url}/get?key=${encodeURIComponent(key)}`,
              { client },
            );
            const text = await response.text();
            tally.requests++;
            const known = keys.get(key);
            const live = known !== undefined &&
              (known.ttl === 0 ||
                Date.now() < known.ackedAt + known.ttl * 1000 - 50);
            if (text === NOT_FOUND) {
              tally.notFound++;
              if (live) tally.missingLive++;
            } else if (response.status === 200) {
              const body = JSON.parse(text);
              if (body.key !== key) {
                tally.badAnswers++;
                note(`GET ${key}: ${text.slice(0, 120)}`);
              } else if (known === undefined || body.value !== known.value) {
                tally.wrongValues++;
                note(
                  `GET ${key}: got ${JSON.stringify(body.value).slice(0, 60)}`,
                );
              } else tally.hits++;
            } else {
              tally.badAnswers++;
              note(`GET ${key}: ${response.status} ${text.slice(0, 120)}`);
            }
          } else {
            const value = valueOf(w, k, ++version, options.valueLength);
            const ttl =
              options.ttls[Math.floor(random() * options.ttls.length)];
            const response = await fetch(`${options.url}/put`, {
              method: "POST",
              body: JSON.stringify({ key, value, ttl }),
              client,
            });
            const text = await response.text();
            tally.requests++;
            if (response.status === 200 && text === PUT_OK) {
              tally.puts++;
              keys.set(key, {
                value,
                ackedAt: Date.now(),
                ttl,
                sequence: ++sequence,
              });
            } else {
              tally.badAnswers++;
              note(`PUT ${key}: ${response.status} ${text.slice(0, 120)}`);
            }
          }
        } catch (error) {
          const kind = classify(error);
          tally.failures[kind] = (tally.failures[kind] ?? 0) + 1;
          note(`${kind}: ${describe(error).slice(0, 200)}`);
          if (kind === "connection refused") break;
        }
      }
    } finally {
      client.close();
    }
  };
  await Promise.all(
    Array.from({ length: options.connections }, (_, w) => worker(w)),
  );
  return { tally, keys };
}

/** Result of {@linkcode verifyKeys}. */
export interface Verification {
  /** Live keys checked. */
  checked: number;
  /** Read back with the value last written. */
  matched: number;
  /** Absent although live: allowed only as eviction of the oldest writes. */
  missing: number;
  /** Read back with another value: must be 0. */
  wrong: number;
  /** Missing keys acknowledged after the oldest matched key. */
  inversions: number;
  /**
   * How much later than the oldest matched key the newest missing key was
   * acknowledged, in ms (0 when in order). The client's acknowledgement order
   * is not the server's: a busy client sees answers late, so a few hundred ms
   * is the client; eviction out of age order would show as seconds.
   */
  inversionMs: number;
}

/**
 * Reads back every key the client believes live (TTL not passed, with a
 * margin) and checks it holds the value last written; keys may be missing
 * only if evicted, i.e. if they were written before the keys still present.
 */
export async function verifyKeys(
  url: string,
  keys: Map<string, KeyState>,
  marginMs = 2000,
): Promise<Verification> {
  const now = Date.now();
  const live = [...keys].filter(([, s]) =>
    s.ttl === 0 || now + marginMs < s.ackedAt + s.ttl * 1000
  );
  const matched: KeyState[] = [];
  const missing: KeyState[] = [];
  let wrong = 0;
  const client = Deno.createHttpClient({});
  try {
    for (let i = 0; i < live.length; i += 64) {
      await Promise.all(
        live.slice(i, i + 64).map(async ([key, state]) => {
          const response = await fetch(
            `${url}/get?key=${encodeURIComponent(key)}`,
            { client },
          );
          const text = await response.text();
          // Reading everything back takes a while: a key whose TTL ran out
          // meanwhile is not live any more and proves nothing.
          const expired = state.ttl !== 0 &&
            Date.now() + marginMs >= state.ackedAt + state.ttl * 1000;
          if (text === NOT_FOUND) {
            if (!expired) missing.push(state);
          } else if (JSON.parse(text).value === state.value) {
            matched.push(state);
          } else wrong++;
        }),
      );
    }
  } finally {
    client.close();
  }
  const bySequence = (a: KeyState, b: KeyState) => a.sequence - b.sequence;
  const oldestMatched = matched.sort(bySequence)[0];
  const newestMissing = missing.sort(bySequence).at(-1);
  const late = oldestMatched
    ? missing.filter((m) => m.sequence > oldestMatched.sequence)
    : [];
  return {
    checked: matched.length + missing.length + wrong,
    matched: matched.length,
    missing: missing.length,
    wrong,
    inversions: late.length,
    inversionMs: oldestMatched && newestMissing
      ? Math.max(0, newestMissing.ackedAt - oldestMatched.ackedAt)
      : 0,
  };
}
