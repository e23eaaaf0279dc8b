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
// Charts, stuck builds, dependencies and dead letters: reloaded this often while signed in.
const HEALTH_REFRESH_MS = 5000;
const DEAD_LETTER_LIMIT = 50;
const OUTCOMES = ['PUBLISHED', 'REUSED', 'FAILED', 'CANCELLED'];
const SVG = 'http://www.w3.org/2000/svg';

const builds = new Map();   // id -> build as the API lists it
let stream = null;          // the AbortController of the open stream
let reconnectAttempt = 0;
let reloadWhenLive = false;  // after a reconnect: changes made while disconnected were missed
let statsTimer = null;
let openDetailId = null;
let healthTimer = null;

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
  return readResponse(response);
}

async function readResponse(response) {
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
  clearInterval(healthTimer);
  healthTimer = null;
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
  clearInterval(healthTimer);
  healthTimer = setInterval(loadHealth, HEALTH_REFRESH_MS);
  loadHealth();
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
      + (build.attempt > 1 ? ` · attempt ${build.attempt}` : '') + ` · ${build.team}`
      + (build.trigger ? ` · ${build.trigger}` : '');
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

// ---- Health: dependencies, charts, stuck builds, dead letters -----------------------------------

async function loadHealth() {
  try {
    renderHealth(await api('/pipeline/health'));
  } catch (error) {
    if (error instanceof Unauthorized) {
      signInAgain(error);
      return;
    }
    $('dependencies-checked').textContent = '(could not load: ' + error.message + ')';
  }
  await loadDeadLetters();
}

function renderHealth(health) {
  renderDependencies(health.dependencies);
  $('charts-window').textContent = `(window ${health.window}, until ${formatTime(health.until)})`;
  $('charts-partial').hidden = !health.partial;
  $('bucket').textContent = health.charts.bucket === 'PT1M' ? 'minute' : health.charts.bucket;
  drawStackedBars($('chart-throughput'), 'throughput', health.charts.throughput.map((bucket) =>
      ({ time: bucket.start, counts: bucket.finished })), OUTCOMES);
  drawStackedBars($('chart-backlog'), 'backlog', health.charts.backlog.map((sample) =>
      ({ time: sample.at, counts: sample.unfinished })), IN_FLIGHT);
  drawLatency($('chart-latency'), health.charts.latency);
  renderStuck(health);
}

function renderDependencies(dependencies) {
  const checked = dependencies.map((dependency) => dependency.checkedAt).filter(Boolean).sort().pop();
  $('dependencies-checked').textContent = checked ? `(checked ${formatTime(checked)})` : '(not checked yet)';
  $('dependencies').replaceChildren(...dependencies.map((dependency) => {
    const recovered = dependency.status === 'UP' && dependency.previous && dependency.previous !== 'UP'
        && dependency.previous !== 'UNKNOWN';
    const item = element('li', {
      class: 'dependency', 'data-dependency': dependency.name, 'data-kind': dependency.kind,
      'data-status': dependency.status, 'data-recovered': recovered ? 'true' : null
    }, element('span', { class: 'dependency-name' }, dependency.name),
        element('span', { class: 'dependency-status' }, dependency.status.replace('_', ' ').toLowerCase()));
    if (recovered) {
      item.append(element('span', { class: 'dependency-note' },
          `recovered ${formatTime(dependency.since)} (was ${dependency.previous.replace('_', ' ').toLowerCase()})`));
    } else if (dependency.status !== 'UP' && dependency.since) {
      item.append(element('span', { class: 'dependency-note' }, `since ${formatTime(dependency.since)}`));
    }
    if (dependency.reason) item.append(element('span', { class: 'dependency-reason' }, dependency.reason));
    return item;
  }));
}

function svgElement(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One bar per time bucket, stacked by key; each part carries its key and count (and a tooltip). */
function drawStackedBars(container, name, columns, keys) {
  const width = 360;
  const height = 140;
  const left = 28;
  const bottom = 16;
  const totals = columns.map((column) => keys.reduce((sum, key) => sum + (column.counts[key] || 0), 0));
  const max = Math.max(1, ...totals);
  const barWidth = (width - left) / Math.max(1, columns.length);
  const chart = svgElement('svg', {
    viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'stacked', 'data-chart': name,
    'data-total': totals.reduce((sum, total) => sum + total, 0), 'data-latest': totals.length ? totals[totals.length - 1] : 0,
    'aria-label': `${name}: ${totals.reduce((sum, total) => sum + total, 0)} in the window`
  });
  chart.append(svgElement('text', { x: 0, y: 10, class: 'axis' }, String(max)),
      svgElement('text', { x: 0, y: height - bottom, class: 'axis' }, '0'),
      svgElement('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: 'axis-line' }));
  if (columns.length) {
    chart.append(svgElement('text', { x: left, y: height - 3, class: 'axis' }, formatTime(columns[0].time)),
        svgElement('text', { x: width, y: height - 3, class: 'axis', 'text-anchor': 'end' },
            formatTime(columns[columns.length - 1].time)));
  }
  const plot = height - bottom - 4;
  columns.forEach((column, index) => {
    let y = height - bottom;
    for (const key of keys) {
      const count = column.counts[key] || 0;
      if (count === 0) continue;
      const barHeight = (count / max) * plot;
      y -= barHeight;
      const bar = svgElement('rect', {
        x: left + index * barWidth + 0.5, y, width: Math.max(1, barWidth - 1), height: barHeight,
        class: 'bar', 'data-key': key, 'data-count': count
      });
      bar.append(svgElement('title', {}, `${formatTime(column.time)} ${key}: ${count}`));
      chart.append(bar);
    }
  });
  const legend = element('div', { class: 'legend' }, ...keys.map((key) =>
      element('span', { class: 'legend-key', 'data-key': key }, key.toLowerCase())));
  container.replaceChildren(chart, legend);
}

/** Per stage a p95 bar with the p50 bar over it, on one scale (the largest p95). */
function drawLatency(container, stages) {
  const width = 360;
  const row = 20;
  const left = 70;
  const height = stages.length * row + 4;
  const max = Math.max(1, ...stages.map((stage) => stage.p95Millis || 0));
  const chart = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'latency',
    'data-chart': 'latency', 'aria-label': 'time per stage, p50 and p95' });
  stages.forEach((stage, index) => {
    const y = index * row + 2;
    const group = svgElement('g', { class: 'stage', 'data-stage': stage.stage, 'data-samples': stage.samples,
      'data-p50': stage.p50Millis ?? '', 'data-p95': stage.p95Millis ?? '' });
    group.append(svgElement('text', { x: 0, y: y + 13, class: 'axis' }, stage.stage));
    if (stage.samples > 0) {
      const scale = (width - left - 110) / max;
      group.append(svgElement('rect', { x: left, y: y + 2, width: Math.max(1, stage.p95Millis * scale), height: 14,
        class: 'p95' }), svgElement('rect', { x: left, y: y + 2, width: Math.max(1, stage.p50Millis * scale),
        height: 14, class: 'p50' }), svgElement('text', { x: width, y: y + 13, class: 'axis', 'text-anchor': 'end' },
          `${formatDuration(stage.p50Millis)} / ${formatDuration(stage.p95Millis)} (${stage.samples})`));
    } else {
      group.append(svgElement('text', { x: left, y: y + 13, class: 'axis' }, 'no build left this stage'));
    }
    chart.append(group);
  });
  container.replaceChildren(chart);
}

function renderStuck(health) {
  $('stuck-after').textContent = `(not final, no change for longer than ${health.stuckAfter})`;
  $('stuck-none').hidden = health.stuck.length > 0;
  $('stuck').hidden = health.stuck.length === 0;
  $('stuck').tBodies[0].replaceChildren(...health.stuck.map((stuck) => element('tr', {
    'data-build-id': stuck.build.id, 'data-state': stuck.build.state
  }, element('td', {}, describe(stuck.build), element('div', { class: 'build-id' }, stuck.build.id)),
      element('td', {}, stuck.build.state),
      element('td', {}, stuck.stage),
      element('td', {}, formatTime(stuck.lastChangedAt)),
      element('td', { class: 'age' }, formatDuration(stuck.ageSeconds * 1000)))));
}

async function loadDeadLetters() {
  let response;
  try {
    response = await fetch(`${API}/admin/dead-letters?limit=${DEAD_LETTER_LIMIT}`,
        { headers: { Authorization: 'Bearer ' + token() } });
  } catch (error) {
    showDeadLetterState('error', 'Dead letters could not be loaded: ' + error.message);
    return;
  }
  // Listing dead letters is an admin's; a spec-service without the endpoint answers 404.
  if (response.status === 403 || response.status === 404) {
    showDeadLetterState('not-available', 'Dead letters are not available to this viewer (they are listed for '
        + 'admins, where this spec-service lists them).');
    return;
  }
  try {
    renderDeadLetters(await readResponse(response));
  } catch (error) {
    if (error instanceof Unauthorized) signInAgain(error);
    else showDeadLetterState('error', 'Dead letters could not be loaded: ' + error.message);
  }
}

function showDeadLetterState(state, message) {
  $('dead-letters-section').dataset.state = state;
  $('dead-letters-status').textContent = message;
  $('dead-letters').hidden = state !== 'listed';
}

/** Renders GET /api/v1/admin/dead-letters: {"deadLetters": [{id, topic, partition, offset, ...}]}. */
function renderDeadLetters(answer) {
  const deadLetters = Array.isArray(answer.deadLetters) ? answer.deadLetters : [];
  showDeadLetterState(deadLetters.length ? 'listed' : 'none', deadLetters.length
      ? `The latest ${deadLetters.length} (at most ${DEAD_LETTER_LIMIT}).` : 'None.');
  $('dead-letters').tBodies[0].replaceChildren(...deadLetters.map((letter) => element('tr', {
    'data-dead-letter-id': letter.id, 'data-replayed': letter.replayedAt ? 'true' : 'false'
  }, element('td', {}, formatTime(letter.timestamp)),
      element('td', {}, `${letter.originalTopic ?? '?'} (${letter.topic} ${letter.partition}/${letter.offset})`),
      element('td', {}, letter.consumerGroup ?? ''),
      element('td', {}, [letter.eventType, letter.eventId].filter(Boolean).join(' ')),
      element('td', { class: 'build-id' }, letter.buildId ?? ''),
      element('td', { class: 'reason' }, letter.reason ?? ''),
      element('td', {}, letter.replayedAt ? formatTime(letter.replayedAt) : 'no'))));
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
