package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;

/**
 * {@value EventTypes#PACK_PUBLISHED} on {@value Topics#PACKS_PUBLISHED}: the BYOOS pack is in the
 * registry.
 *
 * @param reference      {@code host[:port]/<base>/spectro-packs/archive/<name>:<version>}
 * @param manifestDigest digest of the pushed OCI manifest
 * @param osImageOverride the value the pack hands Palette
 */
public record PackPublished(BuildCoordinates build, String reference, String manifestDigest, String osImageOverride) {

    public PackPublished {
        notNull(build, "build");
        notBlank(reference, "reference");
        notBlank(manifestDigest, "manifestDigest");
        notBlank(osImageOverride, "osImageOverride");
    }
}
