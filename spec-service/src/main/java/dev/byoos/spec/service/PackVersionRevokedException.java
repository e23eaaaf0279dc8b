package dev.byoos.spec.service;

/**
 * An identical resubmission of a spec version whose pack was revoked: a revoked version is never
 * reused and never published again (pack versions are immutable), so nothing can be built for it
 * (HTTP 409). The way on is a new pack version.
 */
public class PackVersionRevokedException extends RuntimeException {

    public PackVersionRevokedException(String team, String specName, int specVersion, String packReference) {
        super("spec " + specName + " version " + specVersion + " of team " + team + " published " + packReference
                + ", which was revoked; a revoked pack version is never reused or published again. Submit the spec "
                + "with a new spec.pack.version, or POST /api/v1/specs/" + specName + "/rebuilds?team=" + team
                + " to build the next version its spec.pack.versionPolicy names");
    }
}
