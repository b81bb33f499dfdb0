// @ts-check
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The Baton inspector (issues 10 and 22): a plain ES module, no build step, type-checked by the
 * root `tsc -p tsconfig.json` against the service's own types. Every data call goes to the
 * service's operator endpoints with `Authorization: Bearer <operator token>`; the token lives in
 * this tab's sessionStorage. A link may carry it once as `#token=…`: it is moved to
 * sessionStorage and removed from the address bar at once (a fragment never reaches the server
 * or its logs, and it is never a query parameter).
 *
 * The page computes no rule of its own: what narrowed (in words), each hop's refusals, the search
 * grammar, the exports and the explanation of a decision all come from the service, which takes
 * them from @baton/core, as the CLI does.
 */

/** @typedef {import("@baton/core").TaskNode} TaskNode */
/** @typedef {import("@baton/core").TaskTree} TaskTree */
/** @typedef {import("@baton/core").Explanation} Explanation */
/** @typedef {import("@baton/core").HopProof} HopProof */
/** @typedef {import("@baton/core").FailedCheck} FailedCheck */
/** @typedef {import("@baton/core").Trace} Trace */
/** @typedef {import("@baton/core").DecisionWithHop} DecisionRecord  each row carries `hop`, by core's rule */
/** @typedef {import("@baton/store/contract").DecisionReason} DecisionReason */
/** @typedef {import("@baton/store/contract").ApprovalRecord} ApprovalRecord */
/** @typedef {import("@baton/store/contract").TaskSummary & { lastDecision: DecisionRecord | null }} TaskListItem */
/** @typedef {{ agent: string, held: unknown[], reachable: unknown[], agents: string[], tasks: string[] }} BlastRadius */
/** @typedef {import("cytoscape").Core} Cy */

/** Loaded by URL: the graph library is served from the service's own origin. */
const CYTOSCAPE_URL = "/inspect/vendor/cytoscape.esm.min.mjs";
/** @type {typeof import("cytoscape")} */
const cytoscape = (await import(CYTOSCAPE_URL)).default;

const TOKEN_KEY = "baton.operatorToken";
/** @type {Record<TaskNode["state"], string>} */
const STATE_LABELS = {
  live: "live",
  revalidation_due: "revalidation due",
  expired: "expired",
  revoked: "revoked",
};
/** @type {Record<TaskNode["state"], string>} */
const STATE_COLOURS = {
  live: "#2e7d32",
  revalidation_due: "#e0a100",
  expired: "#757575",
  revoked: "#c62828",
};

/**
 * The element for `selector`, which the page always has.
 * @template {HTMLElement} [E=HTMLElement]
 * @param {string} selector
 * @returns {E}
 */
function $(selector) {
  const element = document.querySelector(selector);
  if (element === null) throw new Error(`the page has no ${selector}`);
  return /** @type {E} */ (element);
}

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * Builds an element; children are nodes or text (always set as text, never parsed as HTML).
 * @param {string} tag
 * @param {Record<string, unknown>} [attributes]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function")
      element.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else if (name === "class") element.className = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/**
 * @param {string} value
 * @param {string} [label]
 */
const badge = (value, label = value) => h("span", { class: `badge ${value}` }, label);
/** @param {number | null | undefined} at */
const iso = (at) =>
  at === null || at === undefined ? "" : `${new Date(at * 1000).toISOString().slice(0, 19)}Z`;
/** @param {string} id */
const short = (id) => (id.length <= 10 ? id : `${id.slice(0, 8)}…`);

/** @param {number} seconds */
function duration(seconds) {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 === 0 ? "" : ` ${s % 60}s`}`;
  const m = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)}h${m === 0 ? "" : ` ${m}m`}`;
}

/**
 * @param {number} at
 * @param {number} now
 */
function relative(at, now) {
  return at >= now ? `in ${duration(at - now)}` : `${duration(now - at)} ago`;
}

/** @param {import("@baton/token").Capability} cap */
const capText = (cap) => `${cap.act} on ${cap.res}${cap.lim ? ` limited by ${JSON.stringify(cap.lim)}` : ""}`;

/**
 * Makes a row (or any element) act like a button for the keyboard: reachable with Tab, run with
 * Enter or Space; a control inside it keeps its own keys.
 * @param {HTMLElement} element
 * @param {() => void} activate
 * @param {string} label
 */
function activatable(element, activate, label) {
  element.tabIndex = 0;
  element.setAttribute("aria-label", label);
  element.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("button, a") !== null) return;
    activate();
  });
  element.addEventListener("keydown", (event) => {
    if (event.target !== element || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    activate();
  });
  return element;
}

// ---------------------------------------------------------------------------------------------
// The operator token and the API

function takeTokenFromFragment() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match === null || match[1] === undefined) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search);
}

class Unauthorized extends Error {}

/** A problem response, with its stable code. */
class ProblemError extends Error {
  /**
   * @param {string} message
   * @param {string | undefined} code
   */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/**
 * An operator call.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<Response>}
 */
async function call(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token === null) throw new Unauthorized("no operator token");
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: "no-store",
  });
  if (response.ok) return response;
  /** @type {{ code?: string, detail?: string }} */
  const payload = await response.json().catch(() => ({}));
  if (response.status === 401 && payload.code === "unauthorized") throw new Unauthorized(payload.detail);
  throw new ProblemError(
    `${payload.code ?? response.status}: ${payload.detail ?? response.statusText}`,
    payload.code,
  );
}

/**
 * An operator call answered with JSON; a problem response becomes an Error with its code.
 * @template T
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
async function api(method, path, body) {
  return /** @type {Promise<T>} */ ((await call(method, path, body)).json());
}

// ---------------------------------------------------------------------------------------------
// Page state

/**
 * @typedef {object} PageState
 * @property {TaskTree["task"] | undefined} task
 * @property {number} now
 * @property {readonly TaskNode[]} nodes
 * @property {string | undefined} selected  the hop shown in the hop panel
 * @property {string | undefined} hopFilter  the hop the timeline is narrowed to
 * @property {readonly DecisionRecord[]} decisions  the timeline as shown
 * @property {number | undefined} explained  the decision whose explanation is shown
 * @property {Cy | undefined} cy
 */

/** @type {PageState} */
const state = {
  task: undefined,
  now: 0,
  nodes: [],
  selected: undefined,
  hopFilter: undefined,
  decisions: [],
  explained: undefined,
  cy: undefined,
};

/** Exposed for tests and the browser console: the graph and the loaded task (read it, do not write). */
/** @type {Window & { batonInspector?: PageState }} */ (window).batonInspector = state;

/** @param {string} message */
function toast(message) {
  const element = $("#toast");
  element.textContent = message;
  setTimeout(() => {
    if (element.textContent === message) element.textContent = "";
  }, 4000);
}

function showLogin(message = "") {
  $("#app").hidden = true;
  $("#sign-out").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
  $("#token-input").focus();
}

/** @param {() => Promise<void>} action */
async function guarded(action) {
  try {
    await action();
  } catch (error) {
    if (error instanceof Unauthorized) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin("The service refused the token: enter the operator token.");
    } else {
      toast(error instanceof Error ? error.message : String(error));
      throw error;
    }
  }
}

/** @param {string} did */
const holderOf = (did) => state.nodes.find((node) => node.did === did)?.to ?? short(did);

// ---------------------------------------------------------------------------------------------
// Tasks

async function loadTasks() {
  /** @type {{ items: TaskListItem[] }} */
  const { items } = await api("GET", "/v1/tasks?limit=200");
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#sign-out").hidden = false;
  const body = $("#tasks tbody");
  body.replaceChildren(
    ...items.map((task) =>
      activatable(
        h(
          "tr",
          {
            class: `clickable${task.id === state.task?.id ? " selected" : ""}`,
            "data-task": task.id,
            "data-status": task.status,
          },
          h("td", { class: "mono" }, task.id),
          h("td", {}, badge(task.status)),
          h("td", {}, task.rootAgent),
          h("td", { "data-col": "live" }, task.liveDelegations),
          h("td", { "data-col": "revoked" }, task.revokedDelegations),
          h(
            "td",
            {},
            task.lastDecision === null
              ? ""
              : [
                  badge(task.lastDecision.decision),
                  ` ${task.lastDecision.kind} `,
                  h("span", { class: "muted" }, iso(task.lastDecision.at)),
                ],
          ),
          h("td", {}, task.intent),
        ),
        () => void guarded(() => openTask(task.id)),
        `open task ${task.id}`,
      ),
    ),
  );
  if (items.length === 0) body.append(h("tr", {}, h("td", { colspan: 7 }, "No tasks yet.")));
}

/**
 * What narrowed at a hop, in the service's words (the CLI's): capabilities and audiences for the
 * graph's edge, everything for the table.
 * @param {TaskNode} node
 * @param {"edge" | "all"} which
 * @returns {string[]}
 */
function narrowingWords(node, which) {
  if (node.narrowingText === null) return ["root grant"];
  const lines = node.narrowingText.filter(
    (line) => which === "all" || line.what === "cap" || line.what === "aud",
  );
  if (which === "edge" && lines.length === 0) return ["same capabilities"];
  return lines.map((line) => line.text);
}

/** @param {TaskNode} node */
function denialText(node) {
  const { count, latest } = node.denials;
  return count === 0 ? "" : `✗ ${count} refused · latest ${latest?.code ?? "?"}`;
}

/** @param {string} id */
async function openTask(id) {
  /** @type {TaskTree} */
  const detail = await api("GET", `/v1/tasks/${encodeURIComponent(id)}`);
  if (state.task?.id !== id) {
    state.hopFilter = undefined;
    state.explained = undefined;
    $("#explain").hidden = true;
  }
  state.task = detail.task;
  state.now = detail.now;
  state.nodes = detail.nodes;
  history.replaceState(null, "", `#task=${encodeURIComponent(id)}`);
  $("#task-view").hidden = false;
  $("#service-now").textContent = `service time ${iso(detail.now)}`;
  for (const row of document.querySelectorAll("#tasks tbody tr"))
    row.classList.toggle("selected", /** @type {HTMLElement} */ (row).dataset.task === id);
  $("#task-title").replaceChildren(`Task `, h("code", {}, id), " ", badge(detail.task.status));
  $("#task-meta").textContent =
    `${detail.task.intent} · root holder ${detail.task.rootAgent} · opened ${iso(detail.task.openedAt)}` +
    (detail.task.closedAt === null ? "" : ` · closed ${iso(detail.task.closedAt)}`);
  renderHops();
  renderGraph();
  await Promise.all([loadTimeline(), loadApprovals()]);
  const still = state.nodes.find((node) => node.did === state.selected);
  if (still === undefined) {
    state.selected = undefined;
    $("#hop").hidden = true;
  } else {
    await selectHop(still.did);
  }
}

/**
 * A hop's expiry as a cell: a revoked hop says when it was revoked, never "expires in …".
 * @param {TaskNode} node
 */
function expiryText(node) {
  if (node.state === "revoked") return `revoked ${iso(node.revokedAt)}`;
  const exp = node.token?.exp ?? node.exp;
  return `${node.state === "expired" ? "expired " : ""}${iso(exp)} (${relative(exp, state.now)})`;
}

/** @param {TaskNode} node */
function revalidateText(node) {
  if (node.token === null || node.state === "revoked" || node.state === "expired") return "";
  return `${iso(node.token.rvl)} (${relative(node.token.rvl, state.now)})`;
}

function renderHops() {
  $("#hops tbody").replaceChildren(
    ...state.nodes.map((node) =>
      activatable(
        h(
          "tr",
          {
            class: `clickable${node.did === state.selected ? " selected" : ""}`,
            "data-did": node.did,
            "data-state": node.state,
            "data-denials": node.denials.count,
          },
          h("td", {}, node.depth),
          h("td", {}, node.to),
          h("td", {}, node.from ?? "operator"),
          h("td", {}, badge(node.state, STATE_LABELS[node.state])),
          h("td", { "data-col": "expires" }, expiryText(node)),
          h("td", { "data-col": "revalidate" }, revalidateText(node)),
          h(
            "td",
            { "data-col": "denials" },
            node.denials.count === 0 ? "" : h("span", { class: "denied" }, denialText(node)),
          ),
          h(
            "td",
            { "data-col": "narrowed" },
            h(
              "ul",
              { class: "plain" },
              ...narrowingWords(node, "all").map((text) =>
                h("li", { class: / NOT | ADDED| LATER /.test(text) ? "cap-widened" : "" }, text),
              ),
            ),
          ),
        ),
        () => void guarded(() => selectHop(node.did)),
        `hop of ${node.to}`,
      ),
    ),
  );
}

function renderGraph() {
  state.cy?.destroy();
  /** @type {import("cytoscape").ElementDefinition[]} */
  const elements = [];
  for (const node of state.nodes) {
    elements.push({
      group: "nodes",
      data: {
        id: node.did,
        label: [node.to, STATE_LABELS[node.state], denialText(node)].filter((l) => l !== "").join("\n"),
        state: node.state,
        colour: STATE_COLOURS[node.state],
        denials: node.denials.count,
        latestDenial: node.denials.latest?.code ?? "",
      },
    });
    if (node.parent !== null)
      elements.push({
        group: "edges",
        data: {
          id: `${node.parent}->${node.did}`,
          source: node.parent,
          target: node.did,
          label: narrowingWords(node, "edge").join("\n"),
        },
      });
  }
  const cy = cytoscape({
    container: $("#graph"),
    elements,
    autoungrabify: true,
    boxSelectionEnabled: false,
    wheelSensitivity: 0.3,
    style: [
      {
        selector: "node",
        style: {
          shape: "round-rectangle",
          width: 170,
          height: 52,
          "background-color": "data(colour)",
          label: "data(label)",
          color: "#fff",
          "font-size": 11,
          "text-wrap": "wrap",
          "text-valign": "center",
          "text-halign": "center",
        },
      },
      {
        selector: "node[denials > 0]",
        style: { "border-width": 4, "border-color": "#ff8a80", "border-style": "double" },
      },
      {
        selector: "node:selected",
        style: { "border-width": 4, "border-color": "#1d232b", "border-style": "solid" },
      },
      {
        selector: "edge",
        style: {
          width: 2,
          "line-color": "#9aa5b1",
          "target-arrow-color": "#9aa5b1",
          "target-arrow-shape": "triangle",
          "curve-style": "bezier",
          // Near the child rather than mid-edge: sibling edges' labels sit as far apart as the
          // children do, instead of overlapping where the edges leave their common parent.
          "target-label": "data(label)",
          "target-text-offset": 60,
          "font-size": 9,
          "text-wrap": "wrap",
          "text-max-width": "170px",
          "text-background-color": "#fcfcfd",
          "text-background-opacity": 1,
          "text-background-padding": "2px",
        },
      },
    ],
  });
  state.cy = cy;
  // A did may start with "-" or a digit, which a selector string would misread: pass the roots as a collection.
  const roots = cy.nodes().filter((node) => node.indegree(false) === 0);
  // cytoscape accepts a collection as `roots`; its type declarations only list selectors.
  const rootIds = /** @type {string[]} */ (/** @type {unknown} */ (roots));
  cy.layout({ name: "breadthfirst", directed: true, roots: rootIds, spacingFactor: 1.5, padding: 30 }).run();
  cy.on("tap", "node", (event) => void guarded(() => selectHop(event.target.id())));
}

// ---------------------------------------------------------------------------------------------
// One hop

/** @param {TaskNode} node */
function capabilityDiff(node) {
  const narrowing = node.narrowing;
  if (narrowing === null)
    return h(
      "ul",
      {},
      ...node.cap.map((cap) => h("li", {}, capText(cap), h("span", { class: "muted" }, " (granted)"))),
    );
  /** @param {import("@baton/token").Capability} a @param {import("@baton/token").Capability} b */
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const items = node.cap.map((cap) => {
    for (const change of narrowing) {
      if (change.what !== "cap") continue;
      if (change.change === "not_covered" && same(change.child, cap))
        return h("li", { class: "cap-widened" }, capText(cap), " — NOT covered by the parent");
      if (change.change === "narrowed" && same(change.child, cap))
        return h(
          "li",
          { class: "cap-narrowed", "data-diff": "narrowed" },
          capText(cap),
          ` — narrowed from ${capText(change.parent)}`,
        );
    }
    return h("li", { "data-diff": "same" }, capText(cap), h("span", { class: "muted" }, " — as the parent"));
  });
  for (const change of narrowing)
    if (change.what === "cap" && change.change === "removed")
      items.push(h("li", { class: "cap-removed", "data-diff": "removed" }, capText(change.parent)));
  return h("ul", {}, ...items);
}

/** Who acted: the presenting agent (marked when no valid proof showed it), or the operator. @param {DecisionRecord} decision */
function actorOf(decision) {
  if (decision.agent !== null) {
    if (decision.format === 1) return `${decision.agent} (legacy row)`;
    return decision.actorProven === true ? decision.agent : `${decision.agent} (unproven)`;
  }
  const detail = /** @type {{ by?: unknown } | null} */ (decision.detail);
  return detail?.by === "operator" ? "operator" : "";
}

/** @param {Readonly<Record<string, unknown>> | null | undefined} evidence */
const evidenceText = (evidence) =>
  evidence === null || evidence === undefined ? "" : JSON.stringify(evidence);

/** @param {DecisionReason} reason */
function reasonBlock(reason) {
  return h(
    "div",
    { class: "reason", "data-code": reason.code },
    h("code", {}, reason.code),
    reason.hop === null || reason.hop === undefined ? "" : ` at hop ${reason.hop}`,
    h("div", { class: "reason-message" }, reason.message),
    reason.claim === undefined ? "" : h("div", { class: "muted" }, `claim: ${reason.claim}`),
    reason.evidence === undefined
      ? ""
      : h("div", { class: "evidence" }, "evidence: ", h("code", {}, evidenceText(reason.evidence))),
    reason.policies === undefined || reason.policies.length === 0
      ? ""
      : h("div", { class: "muted" }, `policies: ${reason.policies.join(", ")}`),
  );
}

/**
 * One decision: actor, reporter, what, reasons with messages and evidence, a link to its hop and
 * a "why?" control. Enter or Space on the row explains it.
 * @param {DecisionRecord} decision
 */
function decisionRow(decision) {
  const hop = decision.hop;
  const known = hop !== null && state.nodes.some((node) => node.did === hop);
  const why =
    decision.decision === "allow"
      ? "Why allowed?"
      : decision.decision === "deny"
        ? "Why denied?"
        : "Why step-up?";
  return activatable(
    h(
      "tr",
      {
        class: `clickable${decision.id === state.explained ? " selected" : ""}`,
        "data-id": decision.id,
        "data-decision": decision.decision,
        "data-agent": decision.agent ?? "",
        "data-reporter": decision.reporter ?? "service",
        "data-hop": hop ?? "",
        "data-codes": decision.reasons.map((r) => r.code).join(" "),
      },
      h(
        "td",
        {},
        h("div", {}, iso(decision.at)),
        h("div", { class: "muted" }, `#${decision.id} ${decision.kind}`),
      ),
      h("td", {}, badge(decision.decision)),
      h(
        "td",
        {},
        h("div", { "data-testid": "actor" }, actorOf(decision)),
        h(
          "div",
          { class: "muted" },
          "reported by ",
          h("span", { "data-testid": "reporter" }, decision.reporter ?? "service"),
        ),
      ),
      h(
        "td",
        {},
        known
          ? h(
              "button",
              {
                type: "button",
                class: "link",
                "data-testid": "hop-link",
                onclick: () => void guarded(() => selectHop(/** @type {string} */ (hop))),
              },
              holderOf(/** @type {string} */ (hop)),
            )
          : hop === null
            ? ""
            : h("span", { class: "mono" }, short(hop)),
      ),
      h(
        "td",
        {},
        decision.action === null ? "" : `${decision.action} on ${decision.resource ?? ""}`,
        decision.audience === null ? "" : h("div", { class: "muted" }, `at ${decision.audience}`),
      ),
      h("td", { "data-testid": "reasons" }, decision.reasons.map(reasonBlock)),
      h(
        "td",
        {},
        h(
          "button",
          {
            type: "button",
            "data-testid": "why",
            onclick: () => void guarded(() => explainDecision(decision.id)),
          },
          why,
        ),
      ),
    ),
    () => void guarded(() => explainDecision(decision.id)),
    `decision ${decision.id}: ${decision.decision} ${decision.kind}; press Enter to explain`,
  );
}

/** @param {string} did */
async function selectHop(did) {
  const node = state.nodes.find((n) => n.did === did);
  if (node === undefined) return;
  state.selected = did;
  for (const row of document.querySelectorAll("#hops tbody tr"))
    row.classList.toggle("selected", /** @type {HTMLElement} */ (row).dataset.did === did);
  state.cy?.$(":selected").unselect();
  state.cy?.getElementById(did).select();
  // Selecting a hop narrows the timeline to it.
  state.hopFilter = did;
  /** @type {[Trace, { items: DecisionRecord[] }, BlastRadius, void]} */
  const [trace, decisions, radius] = await Promise.all([
    api("GET", `/v1/delegations/${encodeURIComponent(did)}`),
    api("GET", `/v1/decisions?did=${encodeURIComponent(did)}&order=oldest&limit=500`),
    api("GET", `/v1/agents/${encodeURIComponent(node.to)}/blast-radius`),
    loadTimeline(),
  ]);
  if (state.selected !== did) return;
  const below = trace.descendants.filter((d) => d.status === "live");
  const panel = $("#hop");
  panel.hidden = false;
  panel.dataset.did = did;
  panel.dataset.state = node.state;
  panel.replaceChildren(
    h("h2", {}, node.to, " ", badge(node.state, STATE_LABELS[node.state])),
    h(
      "p",
      { class: "muted" },
      `from ${node.from ?? "the operator (root grant)"} · depth ${node.depth} · did `,
      h("code", {}, did),
    ),
    node.intent === null ? "" : h("p", {}, `intent: ${node.intent}`),
    node.status === "revoked"
      ? h(
          "p",
          { class: "error", "data-testid": "revoked-note" },
          `revoked ${iso(node.revokedAt)}: ${node.revokeReason ?? ""} (${node.revokeCause ?? ""})`,
        )
      : h("p", { "data-testid": "expiry-note" }, `expires ${expiryText(node)}`),
    node.denials.count === 0
      ? ""
      : h("p", { class: "denied", "data-testid": "hop-denials" }, denialText(node)),
    h(
      "p",
      {},
      h(
        "button",
        {
          type: "button",
          class: "danger",
          id: "revoke-hop",
          disabled: node.status === "revoked",
          onclick: () => void guarded(() => confirmRevoke(node)),
        },
        "Revoke this hop…",
      ),
    ),
    h("h3", {}, "Capabilities against the parent"),
    capabilityDiff(node),
    h("p", {}, `audiences: ${node.aud.join(", ")}`),
    h(
      "ul",
      { "data-testid": "narrowed-words" },
      ...narrowingWords(node, "all").map((text) => h("li", {}, text)),
    ),
    h("h3", {}, `Versions (${trace.versions.length})`),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { "data-testid": "versions" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "v"),
            h("th", {}, "jti"),
            h("th", {}, "issued"),
            h("th", {}, "revalidate by"),
            h("th", {}, "expires"),
          ),
        ),
        h(
          "tbody",
          {},
          ...trace.versions.map((v) =>
            h(
              "tr",
              {},
              h("td", {}, v.version),
              h("td", { class: "mono" }, short(v.jti)),
              h("td", {}, iso(v.iat)),
              h("td", {}, iso(v.rvl)),
              h("td", {}, iso(v.exp)),
            ),
          ),
        ),
      ),
    ),
    h("h3", {}, `Decisions (${decisions.items.length}, oldest first)`),
    h(
      "table",
      { "data-testid": "hop-decisions", class: "compact" },
      h(
        "tbody",
        {},
        ...decisions.items.map((decision) =>
          activatable(
            h(
              "tr",
              { class: "clickable", "data-id": decision.id, "data-decision": decision.decision },
              h(
                "td",
                {},
                badge(decision.decision),
                ` ${decision.kind} `,
                h(
                  "span",
                  { class: "muted" },
                  `${iso(decision.at)} · ${actorOf(decision) || "-"} · reported by ${decision.reporter ?? "service"}`,
                ),
                decision.action === null
                  ? ""
                  : h("div", {}, `${decision.action} on ${decision.resource ?? ""}`),
                decision.reasons.map(reasonBlock),
              ),
            ),
            () => void guarded(() => explainDecision(decision.id)),
            `decision ${decision.id}: press Enter to explain`,
          ),
        ),
      ),
    ),
    h("h3", {}, "Blast radius"),
    h(
      "p",
      { "data-testid": "blast-radius" },
      `Revoking this hop cuts off ${below.length} live hop(s) below it`,
      below.length === 0 ? "." : `: ${below.map((d) => d.to).join(", ")}.`,
    ),
    h(
      "p",
      {},
      `${node.to} holds ${radius.held.length} live delegation(s) and reaches ${radius.reachable.length} more` +
        ` (agents: ${radius.agents.join(", ") || "none"}; tasks: ${radius.tasks.join(", ") || "none"}).`,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// "Why was this allowed?"

/** @param {FailedCheck} check */
function failedCheckItem(check) {
  return h(
    "li",
    { class: "check-failed", "data-code": check.code },
    "✗ ",
    h("code", {}, check.code),
    `: ${check.message}`,
    check.claim === null ? "" : h("div", { class: "muted" }, `claim: ${check.claim}`),
    check.evidence === null
      ? ""
      : h("div", { class: "evidence" }, "evidence: ", h("code", {}, evidenceText(check.evidence))),
    check.policies.length === 0 ? "" : h("div", { class: "muted" }, `policies: ${check.policies.join(", ")}`),
  );
}

/**
 * @param {boolean} ok
 * @param {string} text
 * @param {string} kind
 */
const checkItem = (ok, text, kind) =>
  h("li", { class: ok ? "check-ok" : "check-failed", "data-check": kind }, ok ? "✓ " : "✗ ", text);

/** @param {HopProof} hop */
function hopProof(hop) {
  return h(
    "section",
    { class: `proof ${hop.ok ? "ok" : "failed"}`, "data-hop": hop.hop, "data-testid": "proof-hop" },
    h(
      "h3",
      {},
      `hop ${hop.hop}: ${hop.holder ?? "unknown holder"} from ${hop.from ?? "the operator"} `,
      badge(hop.ok ? "allow" : "deny", hop.ok ? "passed" : "failed"),
    ),
    hop.did === null
      ? ""
      : h(
          "p",
          { class: "muted" },
          "did ",
          h("code", {}, hop.did),
          hop.version === null ? "" : ` · token v${hop.version}`,
        ),
    h(
      "ul",
      { class: "plain" },
      ...hop.coverage.map((c) => checkItem(c.ok, c.text, "coverage")),
      ...hop.times.map((t) => checkItem(t.ok, t.text, t.check)),
      hop.revocation === null
        ? ""
        : checkItem(hop.revocation.state !== "revoked", hop.revocation.text, "revocation"),
      ...hop.failed.map(failedCheckItem),
    ),
  );
}

/** @param {number} id */
async function explainDecision(id) {
  state.explained = id;
  for (const row of document.querySelectorAll("#timeline tbody tr"))
    row.classList.toggle("selected", /** @type {HTMLElement} */ (row).dataset.id === String(id));
  /** @type {Explanation} */
  const explanation = await api("GET", `/v1/decisions/${id}/explanation`);
  if (state.explained !== id) return;
  const panel = $("#explain");
  panel.hidden = false;
  panel.dataset.decision = String(id);
  panel.dataset.outcome = explanation.decision.decision;
  panel.replaceChildren(
    h(
      "h2",
      { tabindex: -1, id: "explain-title" },
      explanation.question,
      " ",
      h("span", { class: "muted" }, `decision #${id}`),
    ),
    h("p", { "data-testid": "explain-summary" }, explanation.summary),
    ...explanation.hops.map(hopProof),
    explanation.chainFailures.length === 0
      ? ""
      : h(
          "section",
          { class: "proof failed" },
          h("h3", {}, "Checks not tied to a hop"),
          h("ul", { class: "plain" }, ...explanation.chainFailures.map(failedCheckItem)),
        ),
    h("p", { "data-testid": "explain-policy" }, `Policy: ${explanation.policyText}`),
    h("p", {}, h("button", { type: "button", onclick: () => closeExplanation() }, "Close")),
  );
  $("#explain-title").focus();
}

function closeExplanation() {
  state.explained = undefined;
  $("#explain").hidden = true;
  for (const row of document.querySelectorAll("#timeline tbody tr.selected"))
    row.classList.remove("selected");
}

// ---------------------------------------------------------------------------------------------
// Confirmation, revocation and approvals

/**
 * Asks for confirmation (and optionally a reason); resolves to the reason, or undefined if cancelled.
 * @param {{ title: string, text: string, action: string, askReason: boolean }} options
 * @returns {Promise<string | undefined>}
 */
function confirmDialog({ title, text, action, askReason }) {
  const modal = /** @type {HTMLDialogElement} */ ($("#confirm"));
  const reason = /** @type {HTMLInputElement} */ ($("#confirm-reason"));
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = action;
  $("#confirm-reason-label").hidden = !askReason;
  reason.required = askReason;
  reason.value = "";
  $("#confirm-error").textContent = "";
  return new Promise((resolve) => {
    modal.addEventListener(
      "close",
      () => resolve(modal.returnValue === "ok" ? reason.value || "decided in the inspector" : undefined),
      { once: true },
    );
    modal.showModal();
  });
}

/** @param {TaskNode} node */
async function confirmRevoke(node) {
  const below = state.nodes.filter(
    (n) => n.status === "live" && n.did !== node.did && isBelow(n, node.did),
  ).length;
  const reason = await confirmDialog({
    title: `Revoke ${node.to}'s hop?`,
    text: `This revokes delegation ${node.did} and the ${below} live hop(s) below it, for good. Verifiers following the revocation feed will refuse them.`,
    action: "Revoke",
    askReason: true,
  });
  if (reason === undefined || state.task === undefined) return;
  /** @type {{ revoked: string[] }} */
  const result = await api("POST", "/v1/revocations", { did: node.did, reason });
  toast(`revoked ${result.revoked.length} delegation(s)`);
  await loadTasks();
  await openTask(state.task.id);
}

/**
 * @param {TaskNode} candidate
 * @param {string} ancestor
 */
function isBelow(candidate, ancestor) {
  let parent = candidate.parent;
  while (parent !== null) {
    if (parent === ancestor) return true;
    const current = parent;
    parent = state.nodes.find((n) => n.did === current)?.parent ?? null;
  }
  return false;
}

async function loadApprovals() {
  /** @type {{ items: ApprovalRecord[] }} */
  const { items } = await api("GET", "/v1/approvals?status=pending&limit=1000");
  const mine = items.filter((a) => a.task === state.task?.id);
  const body = $("#approvals tbody");
  body.replaceChildren(
    ...mine.map((approval) =>
      h(
        "tr",
        { "data-approval": approval.id },
        h("td", {}, iso(approval.createdAt)),
        h("td", {}, approval.agent),
        h("td", {}, approval.action),
        h("td", {}, approval.resource),
        h("td", {}, approval.reason),
        h(
          "td",
          { class: "actions" },
          h(
            "button",
            {
              type: "button",
              "data-action": "approve",
              onclick: () => void guarded(() => decide(approval, "approve")),
            },
            "Approve…",
          ),
          " ",
          h(
            "button",
            {
              type: "button",
              "data-action": "deny",
              onclick: () => void guarded(() => decide(approval, "deny")),
            },
            "Deny…",
          ),
        ),
      ),
    ),
  );
  if (mine.length === 0) body.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "None pending.")));
}

/**
 * @param {ApprovalRecord} approval
 * @param {"approve" | "deny"} decision
 */
async function decide(approval, decision) {
  const ok = await confirmDialog({
    title: `${decision === "approve" ? "Approve" : "Deny"} this step-up?`,
    text: `${approval.agent} asks to ${approval.action} on ${approval.resource} (${approval.reason}).`,
    action: decision === "approve" ? "Approve" : "Deny",
    askReason: false,
  });
  if (ok === undefined || state.task === undefined) return;
  await api("POST", `/v1/approvals/${encodeURIComponent(approval.id)}/${decision}`);
  toast(`${decision === "approve" ? "approved" : "denied"} ${approval.id}`);
  await openTask(state.task.id);
}

// ---------------------------------------------------------------------------------------------
// The decision timeline: search, hop filter, export

/** The query the timeline and the exports use: the task, the search box, the selected hop. */
function timelineQuery() {
  const query = new URLSearchParams();
  if (state.task !== undefined) query.set("task", state.task.id);
  query.set("q", /** @type {HTMLInputElement} */ ($("#search")).value.trim());
  if (state.hopFilter !== undefined) query.set("did", state.hopFilter);
  return query;
}

async function loadTimeline() {
  const query = timelineQuery();
  query.set("order", "oldest");
  query.set("limit", "1000");
  const error = $("#search-error");
  /** @type {{ items: DecisionRecord[], next: number | null }} */
  let page;
  try {
    page = await api("GET", `/v1/decisions?${query}`);
  } catch (problem) {
    if (!(problem instanceof ProblemError) || problem.code !== "invalid_request") throw problem;
    error.textContent = problem.message.replace(/^invalid_request: /, "");
    return;
  }
  error.textContent = "";
  state.decisions = page.items;
  const filter = $("#hop-filter");
  filter.hidden = state.hopFilter === undefined;
  $("#hop-filter-name").textContent =
    state.hopFilter === undefined ? "" : `${holderOf(state.hopFilter)} (${short(state.hopFilter)})`;
  $("#timeline tbody").replaceChildren(...page.items.map(decisionRow));
  $("#timeline-count").textContent =
    `${page.items.length} decision(s)${page.next === null ? "" : " (first 1000)"}`;
}

/** @param {"jsonl" | "csv"} format */
async function download(format) {
  const query = timelineQuery();
  query.set("format", format);
  const response = await call("GET", `/v1/decisions/export?${query}`);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: `decisions-${state.task?.id ?? "all"}.${format}` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  toast(
    `exported ${response.headers.get("x-baton-exported") ?? "?"} decision(s) as ${format === "csv" ? "CSV" : "JSON Lines"}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Start

function start() {
  takeTokenFromFragment();
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void guarded(loadTimeline);
  });
  $("#hop-filter-clear").addEventListener("click", () => {
    state.hopFilter = undefined;
    void guarded(loadTimeline);
  });
  $("#export-jsonl").addEventListener("click", () => void guarded(() => download("jsonl")));
  $("#export-csv").addEventListener("click", () => void guarded(() => download("csv")));
  $("#login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($("#token-input"));
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = "";
    void guarded(loadTasks);
  });
  $("#sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    state.cy?.destroy();
    state.cy = undefined;
    showLogin();
  });
  if (sessionStorage.getItem(TOKEN_KEY) === null) {
    showLogin();
    return;
  }
  const task = /^#task=([^&]+)/.exec(location.hash);
  void guarded(async () => {
    await loadTasks();
    if (task?.[1] !== undefined) await openTask(decodeURIComponent(task[1]));
  });
}

start();

export {};
