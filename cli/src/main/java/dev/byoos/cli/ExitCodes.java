package dev.byoos.cli;

/**
 * The exit codes, documented in docs/cli.md: stable, so that a CI job can tell a spec to fix from a
 * build that failed from a factory that is down.
 */
public final class ExitCodes {

    public static final int OK = 0;
    /** A build the command waited for ended FAILED or CANCELLED. */
    public static final int BUILD_FAILED = 1;
    /** The command line itself is wrong (picocli's own code for usage errors). */
    public static final int USAGE = 2;
    /** The spec or the request was rejected (HTTP 400/422, or offline validation). */
    public static final int REJECTED = 3;
    /** No usable credential: HTTP 401 or 403. */
    public static final int UNAUTHORIZED = 4;
    /** HTTP 404: no such build, artifact or pack for the caller's teams. */
    public static final int NOT_FOUND = 5;
    /** HTTP 409: e.g. too late to cancel, nothing to retry, a pack name another team owns. */
    public static final int CONFLICT = 6;
    /** A download's sha256 or signature did not verify; nothing was written to the output file. */
    public static final int NOT_VERIFIED = 7;
    /** The factory could not be reached or failed (HTTP 5xx, a network error). */
    public static final int UNAVAILABLE = 8;
    /** The CLI's own settings are missing or unsafe (no URL or token, a config file others can read). */
    public static final int CONFIGURATION = 9;

    private ExitCodes() {
    }
}
