/**
 * Raw path parameters (issue 16): what a route pattern captures from a path as received, never
 * decoded, so a template can never be filled with a `/` that was sent as `%2F`.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { fillTemplate, pathParams, templateParams } from "../src/path-params.ts";

/** A path segment as a client may send it: anything but `/`, percent-escapes included. */
const segment = fc.stringMatching(/^[A-Za-z0-9._~%:@!$&'()*+,;=-]{1,12}$/);

describe("pathParams", () => {
  test.prop([segment, segment, segment])(
    "captures each parameter's segment exactly as sent",
    (owner, repo, number) => {
      expect(
        pathParams("/repos/:owner/:repo/issues/:number", `/repos/${owner}/${repo}/issues/${number}`),
      ).toEqual({
        owner,
        repo,
        number,
      });
    },
  );

  test.prop([fc.array(segment, { minLength: 1, maxLength: 6 })])(
    "never captures a value containing /, whatever the path",
    (segments) => {
      const params = pathParams("/repos/:owner/:repo/*", `/repos/${segments.join("/")}`) ?? {};
      for (const value of Object.values(params)) expect(value).not.toContain("/");
    },
  );

  it("keeps %2F, %2e and other escapes as they were sent", () => {
    expect(pathParams("/repos/:owner/:repo", "/repos/acme/web%2F..%2Fapi")).toEqual({
      owner: "acme",
      repo: "web%2F..%2Fapi",
    });
    expect(pathParams("/repos/:owner", "/repos/%61cme")).toEqual({ owner: "%61cme" });
  });

  it("reads a group's parameters under a trailing *, a last optional parameter, and a custom single-segment pattern", () => {
    expect(pathParams("/repos/:owner/:repo/*", "/repos/acme/web/issues/7")).toEqual({
      owner: "acme",
      repo: "web",
    });
    expect(pathParams("/repos/:owner/:repo?", "/repos/acme")).toEqual({ owner: "acme" });
    expect(pathParams("/issues/:number{[0-9]+}", "/issues/42")).toEqual({ number: "42" });
  });

  it("gives undefined for a path of another shape, an empty segment, or a parameter that could span segments", () => {
    expect(pathParams("/repos/:owner/:repo", "/repos/acme")).toBeUndefined();
    expect(pathParams("/repos/:owner/:repo", "/repos/acme/web/x")).toBeUndefined();
    expect(pathParams("/repos/:owner/:repo", "/repos//web")).toBeUndefined();
    expect(pathParams("/files/:path{.+}", "/files/a/b")).toBeUndefined();
  });
});

describe("fillTemplate", () => {
  it("fills {param} with raw values and names a parameter the route does not capture", () => {
    expect(fillTemplate("repo:{owner}/{repo}", { owner: "acme", repo: "web" }, "/r/:owner/:repo")).toBe(
      "repo:acme/web",
    );
    expect(() => fillTemplate("repo:{owner}/{repo}", { owner: "acme" }, "/r/:owner")).toThrow(
      /uses \{repo\}, which route \/r\/:owner does not capture/,
    );
    expect(templateParams("repo:{owner}/{repo}/issues")).toEqual(["owner", "repo"]);
  });
});
