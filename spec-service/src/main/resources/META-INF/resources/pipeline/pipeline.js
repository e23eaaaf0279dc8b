// The live pipeline page. Reads GET /api/v1/pipeline (a snapshot) and follows
// GET /api/v1/pipeline/events (server-sent events) with the caller's bearer token. EventSource
// cannot send an Authorization header, so the stream is read with fetch() and a stream reader:
// the token never appears in a URL, a log line or a cookie. Data is only ever set as text.
'use strict';

const API = '/api/v1';
const TOKEN_KEY = 'byoos.pipeline.token';
const IN_FLIGHT = ['ACCEPTED', 'QUEUED', 'BUILDING', 'BUILT', 'STORED'];
const STAGE_OF_STATE = {
  ACCEPTED: 'waiting for the outbox', QUEUED: 'waiting for a worker', BUILDING: 'build-worker',
  BUILT: 'artifact-service', STORED: 'pack-publisher'
};
const MAX_FINISHED = 20;
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 5000];
// Counts come from the server; after changes, they are reloaded at most this often.
const STATS_REFRESH_MS = 2000;

const builds = new Map();   // id -> build as the API lists it
let stream = null;          // the AbortController of the open stream
let reconnectAttempt = 0;
let reloadWhenLive = false;  // after a reconnect: changes made while disconnected were missed
let statsTimer = null;
let openDetailId = null;

const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

class Unauthorized extends Error {}

async function api(path) {
  const response = await fetch(API + path, { headers: { Authorization: 'Bearer ' + token() } });
  if (response.status === 401) throw new Unauthorized('the token was not accepted (expired or for another stack?)');
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || problem.title || ('HTTP ' + response.status));
  }
  return response.json();
}

function setConnection(status) {
  const badge = $('connection');
  badge.dataset.status = status;
  badge.textContent = status;
}

// ---- Signing in and out ------------------------------------------------------------------------

function showSignIn(message) {
  stopStream();
  $('pipeline').hidden = true;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message || '';
  setConnection('offline');
}

function claims(jwt) {
  try {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch (e) {
    return {};
  }
}

async function start() {
  const jwt = token();
  if (!jwt) {
    showSignIn();
    return;
  }
  const { sub, teams = [], groups = [] } = claims(jwt);
  $('who').textContent = `${sub || 'unknown'} · ${groups.join(', ')} · teams: ${teams.join(', ') || 'none'}`;
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  $('pipeline').hidden = false;
  // The stream first, then the snapshot: a change made in between arrives on the stream, and the
  // newer version of a build (updatedAt) wins whichever comes first.
  openStream();
  await loadSnapshot();
}

$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const pasted = $('token').value.trim().replace(/^Bearer\s+/i, '');
  if (!pasted) return;
  sessionStorage.setItem(TOKEN_KEY, pasted);
  $('token').value = '';
  start();
});

$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  builds.clear();
  render();
  showSignIn();
});

function signInAgain(error) {
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(error.message);
}

// ---- The snapshot ------------------------------------------------------------------------------

async function loadSnapshot() {
  try {
    const summary = await api('/pipeline');
    for (const build of [...summary.inFlight, ...summary.recentFailures, ...summary.recentlyFinished]) {
      remember(build);
    }
    renderStats(summary);
    render();
  } catch (error) {
    if (error instanceof Unauthorized) signInAgain(error);
    else setConnection('error: ' + error.message);
  }
}

async function refreshStats() {
  statsTimer = null;
  try {
    renderStats(await api('/pipeline'));
  } catch (error) {
    if (error instanceof Unauthorized) signInAgain(error);
  }
}

function statsChanged() {
  if (statsTimer === null) statsTimer = setTimeout(refreshStats, STATS_REFRESH_MS);
}

/** Keeps the newer version of a build: snapshot and stream may deliver them in either order. */
function remember(build) {
  const known = builds.get(build.id);
  if (known && Date.parse(known.updatedAt) > Date.parse(build.updatedAt)) return false;
  builds.set(build.id, build);
  return true;
}

// ---- The live stream ---------------------------------------------------------------------------

function stopStream() {
  if (stream) stream.abort();
  stream = null;
}

async function openStream() {
  stopStream();
  const controller = new AbortController();
  stream = controller;
  setConnection('connecting');
  try {
    const response = await fetch(API + '/pipeline/events', {
      headers: { Authorization: 'Bearer ' + token(), Accept: 'text/event-stream' },
      signal: controller.signal
    });
    if (response.status === 401) throw new Unauthorized('the token expired or was not accepted; sign in again');
    if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
    setConnection('live');
    reconnectAttempt = 0;
    if (reloadWhenLive) {
      reloadWhenLive = false;
      loadSnapshot();
    }
    await readEvents(response.body, onServerEvent);
    // The server ends the stream when the token expires; reconnecting tells us which it was.
  } catch (error) {
    if (controller.signal.aborted) return;
    if (error instanceof Unauthorized) {
      signInAgain(error);
      return;
    }
  }
  if (stream !== controller) return;
  setConnection('reconnecting');
  const delay = RECONNECT_DELAYS_MS[Math.min(reconnectAttempt++, RECONNECT_DELAYS_MS.length - 1)];
  reloadWhenLive = true;
  setTimeout(() => {
    if (stream === controller) openStream();
  }, delay);
}

/** Parses the text/event-stream format (https://html.spec.whatwg.org/#event-stream-interpretation). */
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let name = 'message';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) onEvent(name, data.join('\n'));
        name = 'message';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = fieldValue;
        else if (field === 'data') data.push(fieldValue);
      }
    }
  }
}

function onServerEvent(name, data) {
  if (name === 'build') {
    const build = JSON.parse(data);
    if (remember(build)) {
      render();
      if (openDetailId === build.id) showDetail(build.id);
    }
    statsChanged();
  } else if (name === 'resync') {
    loadSnapshot();
  }
}

// ---- Rendering ---------------------------------------------------------------------------------

function isFinished(build) {
  return !IN_FLIGHT.includes(build.state);
}

function describe(build) {
  return `${build.spec} v${build.specVersion} · ${build.target.cloud}/${build.target.format}`
      + (build.attempt > 1 ? ` · attempt ${build.attempt}` : '') + ` · ${build.team}`;
}

function buildCard(build) {
  const card = element('article', {
    class: 'build', 'data-build-id': build.id, 'data-state': build.state, tabindex: 0, title: 'Show its timeline'
  }, element('div', { class: 'build-name' }, describe(build)),
      element('div', { class: 'build-id' }, build.id),
      element('div', { class: 'build-state' }, build.state));
  const progress = build.progress;
  if (progress) {
    card.append(element('progress', { max: 100, value: progress.percent, 'aria-label': `${progress.stage} progress` }),
        element('div', { class: 'build-phase' }, `${progress.stage}: ${progress.phase} ${progress.percent}%`));
    if (progress.waitingFor) {
      card.append(element('div', { class: 'waiting', 'data-waiting-for': progress.waitingFor },
          `waiting for ${progress.waitingFor}`));
    }
    if (progress.detail) card.append(element('div', { class: 'build-detail' }, progress.detail));
  }
  if (build.failure) {
    const failure = build.failure;
    card.append(element('div', { class: 'failure', 'data-category': failure.category || 'unknown' },
        element('span', { class: 'category' }, failure.category || 'uncategorised'),
        ` ${failure.stage}: ${failure.code}` + (failure.attempts ? ` after ${failure.attempts} attempts` : ''),
        element('div', { class: 'reason' }, failure.reason)));
  }
  card.addEventListener('click', () => showDetail(build.id));
  card.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') showDetail(build.id);
  });
  return card;
}

function newestFirst(a, b) {
  return Date.parse(b.updatedAt) - Date.parse(a.updatedAt);
}

function render() {
  const all = [...builds.values()];
  const board = $('board');
  board.replaceChildren(...IN_FLIGHT.map((state) => {
    const here = all.filter((build) => build.state === state).sort(newestFirst);
    return element('section', { class: 'column', 'data-column': state },
        element('h3', {}, state, element('small', {}, ` ${STAGE_OF_STATE[state]} · ${here.length}`)),
        ...here.map(buildCard));
  }));
  const finished = all.filter(isFinished).sort(newestFirst);
  $('failures').replaceChildren(...finished.filter((build) => build.state === 'FAILED').slice(0, MAX_FINISHED)
      .map((build) => element('li', {}, buildCard(build))));
  $('finished').replaceChildren(...finished.filter((build) => build.state !== 'FAILED').slice(0, MAX_FINISHED)
      .map((build) => element('li', {}, buildCard(build))));
}

function renderStats(summary) {
  $('window').textContent = `(window ${summary.window})`;
  $('stats').tBodies[0].replaceChildren(...summary.states.map((count) => element('tr', { 'data-state': count.state },
      element('td', {}, count.state),
      element('td', { class: 'current' }, count.current ?? '–'),
      element('td', { class: 'entered' }, count.entered))));
}

function formatTime(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : '';
}

function formatDuration(ms) {
  return ms < 1000 ? `${ms} ms` : ms < 60000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60000).toFixed(1)} min`;
}

async function showDetail(id) {
  openDetailId = id;
  let build;
  try {
    build = await api('/builds/' + encodeURIComponent(id));
  } catch (error) {
    if (error instanceof Unauthorized) signInAgain(error);
    return;
  }
  if (openDetailId !== id) return;
  $('detail').hidden = false;
  $('detail').dataset.buildId = id;
  $('detail-id').textContent = id;
  const facts = [['spec', describe({ ...build, spec: build.spec.name, specVersion: build.spec.version })],
    ['state', build.state]];
  if (build.progress) {
    facts.push(['progress', `${build.progress.stage}: ${build.progress.phase} ${build.progress.percent}%`
        + (build.progress.waitingFor ? `, waiting for ${build.progress.waitingFor}` : '')]);
  }
  if (build.failure) {
    facts.push(['failure', `${build.failure.category || 'uncategorised'} · ${build.failure.stage}: ${build.failure.code}: `
        + build.failure.reason]);
  }
  if (build.artifact) facts.push(['artifact', `${build.artifact.uri} (sha256 ${build.artifact.sha256})`]);
  if (build.pack) facts.push(['pack', build.pack.reference]);
  if (build.cancelledBy) facts.push(['cancelled by', build.cancelledBy]);
  $('detail-facts').replaceChildren(...facts.flatMap(([term, text]) => [element('dt', {}, term), element('dd', {}, text)]));
  let previous = null;
  $('detail-transitions').tBodies[0].replaceChildren(...build.transitions.map((transition) => {
    const entered = Date.parse(transition.enteredAt);
    const row = element('tr', { 'data-state': transition.state },
        element('td', {}, transition.state),
        element('td', {}, formatTime(transition.enteredAt)),
        element('td', {}, previous === null ? '' : formatDuration(entered - previous)));
    previous = entered;
    return row;
  }));
  $('detail-timeline').tBodies[0].replaceChildren(...build.timeline.map((entry) => element('tr', {},
      element('td', {}, formatTime(entry.occurredAt)),
      element('td', {}, entry.type),
      element('td', {}, entry.source),
      element('td', {}, entry.summary))));
}

$('detail-close').addEventListener('click', () => {
  openDetailId = null;
  $('detail').hidden = true;
});

start();
