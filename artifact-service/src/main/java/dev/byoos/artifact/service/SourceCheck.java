package dev.byoos.artifact.service;

import java.util.Arrays;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;

/**
 * What a {@code build.completed} may claim: exactly the coordinates the build was requested with,
 * objects only in the staging bucket under {@code builds/<build id>/} (any attempt's key below it),
 * and an edge image only in the build's own pack repository. Pure: the caller brings the record.
 */
final class SourceCheck {

    private SourceCheck() {
    }

    /** Where build-worker stages a build's outputs (its {@code BuildOutputs}); attempts go below it. */
    static String stagingPrefix(String buildId) {
        return "builds/" + buildId + "/";
    }

    /** @throws UntrustedEventException when the event claims anything its record does not grant */
    static void check(BuildCompleted event, BuildCoordinates requested, String stagingBucket) {
        BuildCoordinates claimed = event.build();
        if (!claimed.equals(requested)) {
            throw new UntrustedEventException(UntrustedEventException.BUILD_CONTRADICTS_RECORD, "build "
                    + requested.buildId() + " was requested for " + describe(requested) + ", the event claims "
                    + describe(claimed));
        }
        staged("image", event.image(), requested.buildId(), stagingBucket);
        staged("sbom", event.sbom(), requested.buildId(), stagingBucket);
        staged("log", event.log(), requested.buildId(), stagingBucket);
        if (event.ociImage() != null) {
            String reference = event.ociImage().reference();
            String repository = reference.substring(0, Math.max(0, reference.lastIndexOf(':')));
            if (!repository.endsWith("/edge/" + requested.pack().name())) {
                throw new UntrustedEventException(UntrustedEventException.FOREIGN_EDGE_IMAGE, "build "
                        + requested.buildId() + " may name only its own pack's edge image (…/edge/"
                        + requested.pack().name() + "), not " + reference);
            }
        }
    }

    private static void staged(String what, BuildCompleted.StagedObject object, String buildId, String stagingBucket) {
        if (object == null) {
            return;
        }
        if (!stagingBucket.equals(object.bucket())) {
            throw new UntrustedEventException(UntrustedEventException.FOREIGN_BUCKET, "the " + what + " of build "
                    + buildId + " is in bucket " + object.bucket() + "; builds stage only in " + stagingBucket);
        }
        String prefix = stagingPrefix(buildId);
        String key = object.key();
        // S3 keys are not paths, but a store on a file system may resolve "..": no such segment passes.
        boolean plainSegments = Arrays.stream(key.split("/", -1))
                .noneMatch(segment -> segment.isEmpty() || segment.equals(".") || segment.equals(".."));
        if (!key.startsWith(prefix) || key.length() == prefix.length() || !plainSegments) {
            throw new UntrustedEventException(UntrustedEventException.KEY_OUTSIDE_BUILD_PREFIX, "the " + what
                    + " of build " + buildId + " is at " + key + "; a build's objects are under " + prefix);
        }
    }

    private static String describe(BuildCoordinates build) {
        return "team " + build.team() + ", spec " + build.specName() + "@" + build.specVersion() + " ("
                + build.specDigest() + "), pack " + build.pack().name() + ":" + build.pack().version() + ", target "
                + build.target().cloud() + "/" + build.target().format();
    }
}
