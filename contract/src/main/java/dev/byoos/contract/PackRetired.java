package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.sha256Hex;

/**
 * {@value EventTypes#PACK_DEPRECATED} and {@value EventTypes#PACK_REVOKED} on
 * {@value Topics#PACKS_RETIRED}: a published pack version was deprecated by a submitter of its
 * team (still usable, discouraged) or revoked by an administrator (must not be used, never reused).
 * Keyed by the build that published the version; the CloudEvent id is stable per (build, type), so
 * an action repeated or re-announced carries the same id.
 *
 * @param pack           the pack's name
 * @param team           the team that owns the pack
 * @param buildId        the build that published the version
 * @param manifestDigest the version's pack manifest in the registry
 * @param artifactSha256 the image the version hands Palette
 * @param actor          who deprecated or revoked it (the token's name)
 * @param at             when, ISO-8601 with offset
 */
public record PackRetired(String pack, String version, String team, String buildId, String manifestDigest,
        String artifactSha256, String reason, String actor, String at) {

    public PackRetired {
        notBlank(pack, "pack");
        notBlank(version, "version");
        notBlank(team, "team");
        notBlank(buildId, "buildId");
        notBlank(manifestDigest, "manifestDigest");
        sha256Hex(artifactSha256, "artifactSha256");
        notBlank(reason, "reason");
        notBlank(actor, "actor");
        notBlank(at, "at");
    }
}
