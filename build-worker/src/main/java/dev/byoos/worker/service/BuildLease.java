package dev.byoos.worker.service;

/**
 * The lease one attempt holds on its build: its attempt number (the fencing token) and whether it
 * was lost. {@link BuildLeases} renews and checks it; the attempt calls {@link #confirm()} before
 * every write others can see (the Edge push, the staged outputs, the completion record, the outcome).
 */
public final class BuildLease {

    private final BuildLeases leases;
    private final int crashedBefore;
    private LeaseClaim claim;
    private boolean lost;

    BuildLease(BuildLeases leases, LeaseClaim claim) {
        this(leases, claim, 0);
    }

    /** @param crashedBefore how many earlier attempts held the build and ended without a word */
    BuildLease(BuildLeases leases, LeaseClaim claim, int crashedBefore) {
        this.leases = leases;
        this.claim = claim;
        this.crashedBefore = crashedBefore;
    }

    /** How many earlier attempts at the build died with their workers (held it, ended without a result). */
    public int crashedBefore() {
        return crashedBefore;
    }

    public String buildId() {
        return claim().buildId();
    }

    /** The fencing token: higher than every earlier attempt's at this build id. */
    public long attempt() {
        return claim().attempt();
    }

    synchronized LeaseClaim claim() {
        return claim;
    }

    synchronized void update(LeaseClaim updated) {
        claim = updated;
    }

    synchronized void markLost() {
        lost = true;
    }

    public synchronized boolean lost() {
        return lost;
    }

    /** @throws LeaseLostException once a check found the lease taken over */
    public void throwIfLost() {
        if (lost()) {
            throw new LeaseLostException("build " + buildId() + ": attempt " + attempt()
                    + " lost its lease to a later attempt");
        }
    }

    /**
     * The fence before a write others can see: renews the lease unless it was written within the
     * last renewal interval (it then stays live for at least the lease duration less that interval),
     * and checks that no later attempt took it over.
     *
     * @throws LeaseLostException when a later attempt holds the build (now or at an earlier check)
     * @throws dev.byoos.worker.builder.core.BuildException INFRASTRUCTURE STORAGE_UNAVAILABLE when S3 cannot say
     */
    public void confirm() {
        leases.confirm(this);
    }

    /** {@link #confirm()}, writing the claim again however recently it was written: the heartbeat's. */
    void renew() {
        leases.renew(this);
    }
}
