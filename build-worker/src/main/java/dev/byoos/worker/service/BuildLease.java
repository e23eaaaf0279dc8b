package dev.byoos.worker.service;

/**
 * The lease one attempt holds on its build: its attempt number (the fencing token) and whether it
 * was lost. {@link BuildLeases} renews and checks it; the attempt calls {@link #confirm()} before
 * every write others can see (the Edge push, the staged outputs, the completion record, the outcome).
 */
public final class BuildLease {

    private final BuildLeases leases;
    private final int crashedBefore;
    private final boolean completionRecorded;
    private LeaseClaim claim;
    private boolean lost;

    /**
     * @param crashedBefore      how many earlier attempts held the build and ended without a word
     * @param completionRecorded whether the build's completion record was there when the lease was taken
     */
    BuildLease(BuildLeases leases, LeaseClaim claim, int crashedBefore, boolean completionRecorded) {
        this.leases = leases;
        this.claim = claim;
        this.crashedBefore = crashedBefore;
        this.completionRecorded = completionRecorded;
    }

    /** How many earlier attempts at the build died with their workers (held it, ended without a result). */
    public int crashedBefore() {
        return crashedBefore;
    }

    /**
     * Whether an earlier attempt recorded the build's completion, as listed with the claims when this
     * lease was taken: only an attempt holding the lease writes the record, so none appears later
     * unless this lease is lost.
     */
    boolean completionRecorded() {
        return completionRecorded;
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
