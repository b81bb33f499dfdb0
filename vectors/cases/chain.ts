/**
 * Chain attacks: every hop is linked to its parent by did, hash, delegator and task.
 */
import { sha256Base64url } from "@baton/token";
import { alice, bob, carol, dave, fixedId, mallory } from "../fixed-keys.ts";
import { type Minted, mintChain, mintHop } from "../mint-chain.ts";
import { type CaseInput, type CaseKit, deny } from "./kit.ts";

export async function chainCases(kit: CaseKit): Promise<CaseInput[]> {
  const { standard, pair } = kit;
  const [t0, t1, t2] = standard.tokens as [Minted, Minted, Minted];
  const [p0, p1] = pair.tokens as [Minted, Minted];
  const cases: CaseInput[] = [];
  const add = (input: CaseInput) => cases.push(input);

  add({
    name: "chain/parent-did-mismatch",
    description: "The leaf's par names a did that is not its parent's.",
    chain: await mintChain(
      "par",
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { par: fixedId("elsewhere") } },
    ),
    expected: deny([2, "chain_broken"]),
  });
  add({
    name: "chain/parent-hash-mismatch",
    description: "A hop whose prf is not the SHA-256 of its parent's exact bytes.",
    chain: await mintChain(
      "prf",
      { holder: alice },
      { holder: bob, claims: { prf: sha256Base64url("another token") } },
    ),
    expected: deny([1, "chain_broken"]),
  });
  add({
    name: "chain/middle-hop-dropped",
    description: "alice → bob → carol presented without bob's hop: carol's hop sits under the root.",
    chain: { text: `${t0.compact}~${t2.compact}`, prover: bob },
    expected: deny([1, "chain_broken"], [1, "delegator_mismatch"]),
  });
  {
    const four = await mintChain(
      "four",
      { holder: alice },
      { holder: bob },
      { holder: carol },
      { holder: dave },
    );
    const [f0, f1, f2, f3] = four.tokens as [Minted, Minted, Minted, Minted];
    add({
      name: "chain/hops-swapped",
      description: "alice → bob → carol → dave presented with bob's and carol's hops swapped.",
      chain: { text: [f0, f2, f1, f3].map((t) => t.compact).join("~"), prover: dave },
      expected: deny([1, "chain_broken"], [1, "delegator_mismatch"]),
    });
  }
  add({
    name: "chain/no-root-grant",
    description: "A chain that starts at a hop (dpt 1) instead of a root grant.",
    chain: { text: `${t1.compact}~${t2.compact}`, prover: bob },
    expected: deny([0, "chain_broken"]),
  });
  add({
    name: "chain/root-repeated",
    description: "The root grant presented twice: a root cannot be its own child.",
    chain: { text: `${t0.compact}~${t0.compact}`, prover: alice },
    expected: deny([1, "chain_broken"], [1, "delegator_mismatch"], [1, "depth_exceeded"]),
  });
  {
    const other = await mintChain("other-tree", { holder: alice }, { holder: bob });
    add({
      name: "chain/spliced-from-another-tree",
      description: "A genuine hop to bob from another root grant of alice's, spliced under this root.",
      chain: { text: `${t0.compact}~${(other.tokens[1] as Minted).compact}`, prover: bob },
      expected: deny([1, "chain_broken"]),
    });
  }
  add({
    name: "chain/delegator-mismatch",
    description: "A hop whose dlg is mallory, not its parent's holder alice.",
    chain: await mintChain(
      "dlg",
      { holder: alice },
      { holder: bob, claims: { dlg: mallory.id } },
      { holder: carol },
    ),
    expected: deny([1, "delegator_mismatch"]),
  });
  add({
    name: "chain/task-mismatch",
    description: "The leaf names another task than its parent.",
    chain: await mintChain(
      "tsk",
      { holder: alice },
      { holder: bob },
      { holder: carol, claims: { tsk: "task-other" } },
    ),
    expected: deny([2, "task_mismatch"]),
  });

  add({
    name: "chain/hop-repeated",
    description: "bob's hop presented twice: the second copy is not a child of the first.",
    chain: { text: `${p0.compact}~${p1.compact}~${p1.compact}`, prover: bob },
    expected: deny([2, "chain_broken"], [2, "delegator_mismatch"], [2, "depth_exceeded"]),
  });
  {
    const otherTask = await mintChain("other-task", { holder: alice, claims: { tsk: "task-other" } });
    add({
      name: "chain/spliced-under-another-task",
      description: "bob's hop spliced under alice's root grant for another task.",
      chain: { text: `${(otherTask.tokens[0] as Minted).compact}~${p1.compact}`, prover: bob },
      expected: deny([1, "chain_broken"], [1, "task_mismatch"]),
    });
    const sibling = await mintHop(t0, "sibling/1", { holder: dave });
    add({
      name: "chain/sibling-spliced-under-a-branch",
      description: "dave's hop, a sibling of bob's under the root, presented as bob's child.",
      chain: { text: `${t0.compact}~${t1.compact}~${sibling.compact}`, prover: dave },
      expected: deny([2, "chain_broken"], [2, "delegator_mismatch"], [2, "depth_exceeded"]),
    });
  }

  return cases;
}
