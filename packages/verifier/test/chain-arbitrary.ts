/**
 * fast-check arbitraries for valid delegation chains: depth 1 to 8 hops below a root grant, each
 * hop a random attenuation of its parent (capabilities kept, narrowed or dropped; limits lowered;
 * audiences dropped; exp, rvl and mdp lowered), and a concrete call that the leaf allows.
 */
import type { Call, Capability } from "@baton/token";
import { fc } from "@fast-check/vitest";
import { type Agent, alice, bob, carol, dave, type Minted, mintHop, mintRoot, NOW } from "./fixtures.ts";

const AGENTS: readonly Agent[] = [alice, bob, carol, dave];

/** A capability in a shape that is easy to narrow. */
interface CapShape {
  readonly act: readonly string[];
  readonly actPrefix: boolean;
  readonly scheme: string;
  readonly res: readonly string[];
  readonly resPrefix: boolean;
  readonly max?: number;
}

const ROOT_SHAPES: readonly CapShape[] = [
  { act: ["repo"], actPrefix: true, scheme: "repo", res: ["acme"], resPrefix: true },
  { act: ["mail", "send"], actPrefix: false, scheme: "mailbox", res: ["acme"], resPrefix: true, max: 20 },
  { act: ["files", "read"], actPrefix: false, scheme: "files", res: ["acme", "docs"], resPrefix: true },
];
export const PLAN_AUDIENCES = ["repo-tool", "mail-tool", "files-tool"] as const;

export function toCapability(shape: CapShape): Capability {
  const act = shape.actPrefix ? [...shape.act, "*"].join(".") : shape.act.join(".");
  const res = `${shape.scheme}:${(shape.resPrefix ? [...shape.res, "**"] : shape.res).join("/")}`;
  return shape.max === undefined ? { act, res } : { act, res, lim: { recipients: { max: shape.max } } };
}

/** One token of a plan: everything that is chosen rather than derived from the parent. */
export interface PlannedToken {
  readonly holder: Agent;
  readonly caps: readonly CapShape[];
  readonly aud: readonly string[];
  readonly mdp: number;
  readonly iat: number;
  readonly exp: number;
  readonly rvl: number;
}

export interface ChainPlan {
  readonly tokens: readonly PlannedToken[];
  /** A call the leaf allows. */
  readonly call: Call;
}

const capChoice = fc.record({
  act: fc.nat(2),
  actSegment: fc.constantFrom("issues", "pulls", "send", "read"),
  res: fc.nat(2),
  resSegment: fc.constantFrom("web", "api", "ops", "docs"),
  maxCut: fc.nat(25),
  drop: fc.boolean(),
});

const hopChoice = fc.record({
  holder: fc.nat(AGENTS.length - 1),
  caps: fc.array(capChoice, { minLength: ROOT_SHAPES.length, maxLength: ROOT_SHAPES.length }),
  dropAudience: fc.array(fc.boolean(), {
    minLength: PLAN_AUDIENCES.length,
    maxLength: PLAN_AUDIENCES.length,
  }),
  iatStep: fc.nat(30),
  expCut: fc.nat(300),
  rvlCut: fc.nat(60),
  mdpCut: fc.nat(2),
});

function narrow(
  shape: CapShape,
  choice: typeof capChoice extends fc.Arbitrary<infer T> ? T : never,
): CapShape {
  let next: CapShape = shape;
  if (next.actPrefix && choice.act > 0) {
    next = { ...next, act: [...next.act, choice.actSegment], actPrefix: choice.act === 1 };
  }
  if (next.resPrefix && choice.res > 0) {
    next = { ...next, res: [...next.res, choice.resSegment], resPrefix: choice.res === 1 };
  }
  if (next.max !== undefined) next = { ...next, max: next.max - (choice.maxCut % (next.max + 1)) };
  return next;
}

/** A call that `shape` allows: wildcards filled with a segment, limited arguments at their bound. */
function callFor(shape: CapShape): Call {
  const action = (shape.actPrefix ? [...shape.act, "run"] : shape.act).join(".");
  const resource = `${shape.scheme}:${(shape.resPrefix ? [...shape.res, "item"] : shape.res).join("/")}`;
  return shape.max === undefined
    ? { action, resource }
    : { action, resource, args: { recipients: shape.max } };
}

/** A valid chain plan of 1 to `maxHops` hops below the root. */
export function chainPlan(minHops = 1, maxHops = 8): fc.Arbitrary<ChainPlan> {
  return fc
    .record({
      rootHolder: fc.nat(AGENTS.length - 1),
      mdpSpare: fc.nat(3),
      hops: fc.array(hopChoice, { minLength: minHops, maxLength: maxHops }),
      callCap: fc.nat(),
    })
    .map(({ rootHolder, mdpSpare, hops, callCap }) => {
      const root: PlannedToken = {
        holder: AGENTS[rootHolder] ?? alice,
        caps: ROOT_SHAPES,
        aud: PLAN_AUDIENCES,
        mdp: hops.length + mdpSpare,
        iat: NOW - 600,
        exp: NOW + 3600,
        rvl: NOW + 900,
      };
      const tokens: PlannedToken[] = [root];
      for (const [i, hop] of hops.entries()) {
        const parent = tokens[tokens.length - 1] as PlannedToken;
        const kept = parent.caps.flatMap((shape, j) => {
          const choice = hop.caps[j];
          return choice === undefined || choice.drop ? [] : [narrow(shape, choice)];
        });
        const caps = kept.length > 0 ? kept : [parent.caps[0] as CapShape];
        // Keep repo-tool so the verifier under test (audience repo-tool) is always addressed.
        const aud = parent.aud.filter((audience, j) => audience === "repo-tool" || !hop.dropAudience[j]);
        const below = hops.length - (i + 1);
        const exp = parent.exp - hop.expCut;
        tokens.push({
          holder: AGENTS[hop.holder] ?? bob,
          caps,
          aud,
          mdp: Math.max(below, parent.mdp - 1 - hop.mdpCut),
          iat: parent.iat + hop.iatStep,
          exp,
          rvl: Math.min(exp, parent.rvl - hop.rvlCut),
        });
      }
      const leaf = tokens[tokens.length - 1] as PlannedToken;
      const shape = leaf.caps[callCap % leaf.caps.length] as CapShape;
      return { tokens, call: callFor(shape) };
    });
}

function specOf(planned: PlannedToken, claims: Record<string, unknown> = {}) {
  return {
    holder: planned.holder,
    cap: planned.caps.map(toCapability),
    aud: planned.aud,
    mdp: planned.mdp,
    claims: { iat: planned.iat, nbf: planned.iat, exp: planned.exp, rvl: planned.rvl, ...claims },
  };
}

/**
 * Mints a plan into signed tokens, each linked to the one before. `claims[i]` overrides claims of
 * token i after everything else (to plant a defect).
 */
export function mintPlan(plan: ChainPlan, claims: Record<number, Record<string, unknown>> = {}): Minted[] {
  const minted: Minted[] = [];
  for (const [i, planned] of plan.tokens.entries()) {
    const spec = specOf(planned, claims[i]);
    const parent = minted[i - 1];
    minted.push(parent === undefined ? mintRoot(spec) : mintHop(parent, spec));
  }
  return minted;
}

/** Mints one more child of `parent` per the plan's token `index`, for another holder. */
export function mintSibling(plan: ChainPlan, index: number, parent: Minted): Minted {
  const planned = plan.tokens[index] as PlannedToken;
  const other = AGENTS.find((agent) => agent !== planned.holder) as Agent;
  return mintHop(parent, specOf({ ...planned, holder: other }));
}

/** Replaces token `index` of a plan. */
export function replaceToken(
  plan: ChainPlan,
  index: number,
  change: (token: PlannedToken) => PlannedToken,
): ChainPlan {
  return { ...plan, tokens: plan.tokens.map((token, i) => (i === index ? change(token) : token)) };
}

/** Widens one capability of `token` so that no capability of `parent` covers it. */
export function widenCapability(
  token: PlannedToken,
  parent: PlannedToken,
  which: number,
  mode: number,
): PlannedToken {
  const j = which % token.caps.length;
  const shape = token.caps[j] as CapShape;
  const parentMax = Math.max(...parent.caps.map((cap) => cap.max ?? 0));
  const modes: CapShape[] = [
    { ...shape, act: ["admin"], actPrefix: true },
    { ...shape, scheme: "vault", res: [], resPrefix: true },
  ];
  if (shape.max !== undefined) {
    modes.push({ ...shape, max: parentMax + 1 });
    const { max: _dropped, ...unlimited } = shape;
    modes.push(unlimited);
  }
  const widened = modes[mode % modes.length] as CapShape;
  return { ...token, caps: token.caps.map((cap, i) => (i === j ? widened : cap)) };
}
