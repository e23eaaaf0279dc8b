package dev.byoos.worker.builder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

import dev.byoos.testsupport.TestDirectories;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Makes the bookworm debootstrap base in the background as soon as a test run that needs it
 * starts. On a machine that has never made it (every fresh CI machine), debootstrap takes 1.5-2.5
 * minutes; made by the first test that needs it, that time came after the module's other tests
 * and lay on CI's longest path. Made beside the Quarkus tests, which mostly wait for servers and
 * timeouts, it is there when the first test needs it: that test waits on the base cache's lock for
 * what is left. A failure here is only printed: the tests make the base again and report why.
 */
public final class DebootstrapBaseWarmUp implements TestExecutionListener {

    /**
     * The test classes that build from {@link BootableImageTest#BOOKWORM}: a new one belongs here. A
     * run of one of their methods that does not use the base (say, a refused mirror) still makes it.
     */
    private static final Set<String> USERS = Set.of(BootableImageTest.class.getName(),
            PrivateCaMirrorTest.class.getName(), SandboxedPackagesTest.class.getName());

    private final BuildCancellation cancellation = new BuildCancellation();
    private Thread warming;

    @Override
    public void testPlanExecutionStarted(TestPlan plan) {
        boolean needed = plan.getRoots().stream().flatMap(root -> plan.getDescendants(root).stream())
                .anyMatch(DebootstrapBaseWarmUp::buildsFromBookworm);
        if (needed) {
            warming = new Thread(this::makeTheBase, "debootstrap-base-warm-up");
            warming.setDaemon(true);
            warming.start();
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        if (warming != null) {
            // Only when the tests that needed it did not wait for it (they failed first): no debootstrap outlives the run.
            cancellation.cancel();
            try {
                warming.join(Duration.ofMinutes(1).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean buildsFromBookworm(TestIdentifier test) {
        TestSource source = test.getSource().orElse(null);
        String className = source instanceof ClassSource cls ? cls.getClassName()
                : source instanceof MethodSource method ? method.getClassName() : null;
        return className != null && USERS.contains(className);
    }

    private void makeTheBase() {
        // No mirror: the tests say so themselves. Touching BOOKWORM here would fail its class's
        // initialisation on this thread, and the tests would see only "could not initialize class".
        if (TestBases.configuredDebianMirror().isEmpty()) {
            return;
        }
        BuildLog log = new BuildLog();
        Path workDir = null;
        try {
            DebootstrapBases bases = TestBases.debootstrapBases(TestBases.DEBOOTSTRAP_CACHE,
                    BootableImageTest.ALLOWED_HOSTS);
            DebootstrapBases.Suite bookworm = bases.resolve(BootableImageTest.BOOKWORM, "debian", log, cancellation);
            if (bases.isCached(bookworm)) {
                return;
            }
            // A checkout makes the base and copies it; the copy (seconds, beside minutes of
            // debootstrap) is thrown away.
            workDir = Files.createTempDirectory("debootstrap-base-warm-up");
            bases.checkout(bookworm, workDir, new CommandRunner(log, cancellation), log, cancellation);
        } catch (IOException | RuntimeException e) {
            System.err.println("debootstrap base warm-up: " + e + "; the tests that need the base make it themselves");
        } finally {
            if (workDir != null) {
                try {
                    TestDirectories.deleteRecursively(workDir);
                } catch (IOException e) {
                    System.err.println("debootstrap base warm-up: could not delete " + workDir + ": " + e);
                }
            }
        }
    }
}
