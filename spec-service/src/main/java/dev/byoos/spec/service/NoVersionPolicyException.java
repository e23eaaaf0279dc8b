package dev.byoos.spec.service;

/**
 * A spec without {@code pack.versionPolicy} asked to be rebuilt by the factory itself (a schedule,
 * a changed base): nothing says which pack version that rebuild would publish (HTTP 409).
 */
public class NoVersionPolicyException extends RuntimeException {

    public NoVersionPolicyException(String team, String name) {
        super("spec " + name + " of team " + team + " has no spec.pack.versionPolicy (patch or minor), so the factory "
                + "cannot choose its next pack version; submit a version that sets one first");
    }
}
