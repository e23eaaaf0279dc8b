package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.layers.ImageCustomizer;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;

/**
 * Every customization layer applied to a real image (a busybox base with a shell), read back out
 * of the built ext4 partition with debugfs; and each way a layer refuses its input.
 */
class CustomizationLayersTest {

    /** Long enough for any build here; a build that blocks for good is stopped after it. */
    private static final Duration HANG_GUARD = Duration.ofMinutes(3);

    static final String PEM = """
            -----BEGIN CERTIFICATE-----
            MIIBszCCAVmgAwIBAgIUCorpRootForTestsOnly0000000000wCgYIKoZIzj0EAwIw
            -----END CERTIFICATE-----
            """;
    static final String ALICE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJ5Zm9yLXRlc3RzLW9ubHktbm90LWEta2V5 alice@test";

    @TempDir
    Path workDir;
    @TempDir
    Path bases;

    private final BuildLog log = new BuildLog();

    @BeforeEach
    void catalog() {
        TestBases.catalog(bases);
    }

    /** A request with only the layers a test names; the rest empty. */
    record Layers(List<BuildRequested.FileCustomization> files, List<String> packages, List<BuildRequested.User> users,
            Map<String, String> sysctl, List<String> kernelModules, List<BuildRequested.CaCertificate> caCertificates,
            List<BuildRequested.Script> scripts) {

        static Layers none() {
            return new Layers(List.of(), List.of(), List.of(), Map.of(), List.of(), List.of(), List.of());
        }

        Layers files(BuildRequested.FileCustomization... files) {
            return new Layers(List.of(files), packages, users, sysctl, kernelModules, caCertificates, scripts);
        }

        Layers packages(String... packages) {
            return new Layers(files, List.of(packages), users, sysctl, kernelModules, caCertificates, scripts);
        }

        Layers users(BuildRequested.User... users) {
            return new Layers(files, packages, List.of(users), sysctl, kernelModules, caCertificates, scripts);
        }

        Layers scripts(BuildRequested.Script... scripts) {
            return new Layers(files, packages, users, sysctl, kernelModules, caCertificates, List.of(scripts));
        }
    }

    static BuildRequested request(String base, String imageType, Layers layers) {
        BuildCoordinates coordinates = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "node", 1,
                "0".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "raw"), new BuildCoordinates.Pack("byoos-node", "1.0.0", "Node"));
        return new BuildRequested(coordinates, new BuildRequested.BaseImage(base), layers.files(), imageType,
                layers.packages(), layers.users(), layers.sysctl(), layers.kernelModules(), layers.caCertificates(),
                layers.scripts());
    }

    private Builder.BuiltImage build(String base, Layers layers) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)).build(request(base, BuildRequested.STANDARD, layers), workDir, log,
                new BuildCancellation());
    }

    private BuildException failure(String base, Layers layers) {
        return assertThrows(BuildException.class, () -> build(base, layers));
    }

    @Test
    void everyLayerEndsUpInTheImageWithItsOwnersAndModes() throws IOException {
        Map<String, String> sysctl = new LinkedHashMap<>();
        sysctl.put("vm.max_map_count", "262144");
        sysctl.put("net.ipv4.ip_forward", "1");
        Layers layers = new Layers(
                List.of(new BuildRequested.FileCustomization("/etc/byoos/owned.conf", "by name\n", "0640", "daemon:adm"),
                        new BuildRequested.FileCustomization("/srv/numeric", "by id\n", "0600", "4242:4343"),
                        new BuildRequested.FileCustomization("/home/alice/notes", "hers\n", "0600", "alice:wheel")),
                List.of(),
                List.of(new BuildRequested.User("alice", List.of("wheel", "users"), List.of(ALICE_KEY))),
                sysctl,
                List.of("overlay", "br_netfilter"),
                List.of(new BuildRequested.CaCertificate("corp-root", PEM)),
                List.of(new BuildRequested.Script("mark", "pre", "echo pre > /etc/pre-ran\n", 30),
                        new BuildRequested.Script("check", "post", """
                                id -u alice > /etc/alice-uid
                                cp /etc/sysctl.d/90-byoos.conf /etc/post-saw-sysctl
                                echo post script says hello
                                """, 30)));

        ImageInspector image = ImageInspector.open(build(TestBases.BUSYBOX, layers), workDir);

        assertEquals("by name\n", image.cat("/etc/byoos/owned.conf"));
        assertEquals("1:4", image.owner("/etc/byoos/owned.conf"), "daemon:adm resolved through the image's databases");
        assertEquals("0640", image.mode("/etc/byoos/owned.conf"));
        assertEquals("4242:4343", image.owner("/srv/numeric"));
        assertEquals("1000:1001", image.owner("/home/alice/notes"), "owned by a user and group this spec creates");

        assertTrue(image.cat("/etc/passwd").endsWith("alice:x:1000:1000::/home/alice:/bin/sh\n"), image.cat("/etc/passwd"));
        String groups = image.cat("/etc/group");
        assertTrue(groups.contains("\nusers:x:100:alice\n"), groups);
        assertTrue(groups.contains("\nalice:x:1000:\n"), groups);
        assertTrue(groups.contains("\nwheel:x:1001:alice\n"), "a missing supplementary group is created: " + groups);
        assertTrue(image.cat("/etc/shadow").contains("\nalice:!:"), "the password is locked");
        assertEquals(ALICE_KEY + "\n", image.cat("/home/alice/.ssh/authorized_keys"));
        assertEquals("1000:1000", image.owner("/home/alice/.ssh/authorized_keys"));
        assertEquals("0600", image.mode("/home/alice/.ssh/authorized_keys"));
        assertEquals("1000:1000", image.owner("/home/alice/.ssh"));
        assertEquals("0700", image.mode("/home/alice/.ssh"));
        assertEquals("1000:1000", image.owner("/home/alice"));

        String sysctlConf = image.cat(ImageCustomizer.SYSCTL_CONF);
        assertTrue(sysctlConf.endsWith("vm.max_map_count = 262144\nnet.ipv4.ip_forward = 1\n"), "in spec order: " + sysctlConf);
        assertTrue(image.cat(ImageCustomizer.MODULES_CONF).endsWith("\noverlay\nbr_netfilter\n"));
        assertEquals(PEM, image.cat("/usr/local/share/ca-certificates/corp-root.crt"));
        assertEquals(TestBases.CA_BUNDLE + PEM, image.cat(ImageCustomizer.CA_BUNDLE), "appended to the base's bundle");

        assertEquals("pre\n", image.cat("/etc/pre-ran"));
        assertEquals("1000\n", image.cat("/etc/alice-uid"), "the post script ran in the image, after the users layer");
        assertEquals(sysctlConf, image.cat("/etc/post-saw-sysctl"), "the post script ran after the sysctl layer");
        assertFalse(image.list("/").contains("byoos-"), "the script files are removed: " + image.list("/"));
        assertTrue(log.toString().contains("post script says hello"), "script output is in the build log");
    }

    @Test
    void packagesAreInstalledWithTheBasesAptGetInsideTheImage() throws IOException {
        // A stand-in apt-get that records how it was called: the invocation is what the worker owns.
        Path aptGet = Files.createDirectories(bases.resolve(TestBases.BUSYBOX).resolve("usr/bin")).resolve("apt-get");
        Files.writeString(aptGet, "#!/bin/sh\nmkdir -p /var/log\necho \"$DEBIAN_FRONTEND $*\" >> /var/log/apt-calls\n");
        Files.setPosixFilePermissions(aptGet, PosixFilePermissions.fromString("rwxr-xr-x"));

        ImageInspector image = ImageInspector.open(build(TestBases.BUSYBOX, Layers.none().packages("curl", "jq")), workDir);

        // apt goes through the sandbox's only way out, the worker's mirror proxy.
        String proxy = " -o Acquire::http::Proxy=http://127.0.0.1:3128 -o Acquire::https::Proxy=http://127.0.0.1:3128"
                + " -o Acquire::http::Pipeline-Depth=0";
        assertEquals("noninteractive" + proxy + " update\n"
                + "noninteractive" + proxy + " install -y --no-install-recommends curl jq\n"
                + "noninteractive clean\n", image.cat("/var/log/apt-calls"));
    }

    @Test
    void aBaseWithoutAPackageManagerCannotInstallPackages() {
        BuildException failure = failure("debian-12-skeleton", Layers.none().packages("curl"));
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        assertEquals("NO_PACKAGE_MANAGER", failure.code());
        assertEquals("base debian-12-skeleton has no package manager; packages cannot be installed", failure.getMessage());
    }

    @Test
    void aPackageTheMirrorDoesNotHaveIsTheSpecsFaultButAnUnreachableMirrorIsInfrastructure() throws IOException {
        standInAptGet("echo 'E: Unable to locate package no-such-package' >&2; exit 100");
        BuildException missing = failure(TestBases.BUSYBOX, Layers.none().packages("no-such-package"));
        assertEquals(BuildException.Kind.BAD_INPUT, missing.kind());
        assertEquals("PACKAGES_FAILED", missing.code());
        assertTrue(missing.getMessage().contains("Unable to locate package no-such-package"), missing.getMessage());

        standInAptGet("echo 'E: Failed to fetch http://mirror.invalid/debian/dists/bookworm/InRelease"
                + "  Could not connect to mirror.invalid:80' >&2; exit 100");
        BuildException unreachable = failure(TestBases.BUSYBOX, Layers.none().packages("curl"));
        assertEquals(BuildException.Kind.INFRASTRUCTURE, unreachable.kind());
        assertEquals("PACKAGE_MIRROR_UNREACHABLE", unreachable.code());
        assertTrue(unreachable.getMessage().contains("Could not connect to mirror.invalid"), unreachable.getMessage());
    }

    /** Puts an apt-get into the busybox base that runs {@code installBehaviour} for {@code install}. */
    private void standInAptGet(String installBehaviour) throws IOException {
        Path aptGet = Files.createDirectories(bases.resolve(TestBases.BUSYBOX).resolve("usr/bin")).resolve("apt-get");
        Files.writeString(aptGet, "#!/bin/sh\ncase \" $* \" in *\" install \"*) " + installBehaviour + ";; esac\n");
        Files.setPosixFilePermissions(aptGet, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void aFifoAScriptLeavesWhereTheBuilderWritesIsReplacedNeverOpened() throws IOException {
        // Opening a FIFO nobody writes to blocks for good: before, this build hung its thread.
        Map<String, String> sysctl = Map.of("net.ipv4.ip_forward", "1");
        Layers layers = new Layers(List.of(), List.of(), List.of(), sysctl, List.of(), List.of(), List.of(
                new BuildRequested.Script("trap", "pre", "mkdir -p /etc/sysctl.d\nmkfifo " + ImageCustomizer.SYSCTL_CONF
                        + "\n", 30)));

        Builder.BuiltImage built = assertTimeoutPreemptively(HANG_GUARD, () -> build(TestBases.BUSYBOX, layers));

        ImageInspector image = ImageInspector.open(built, workDir);
        assertEquals("net.ipv4.ip_forward = 1\n", image.cat(ImageCustomizer.SYSCTL_CONF).lines()
                .filter(line -> !line.startsWith("#")).map(line -> line + "\n").reduce("", String::concat));
    }

    @Test
    void aFifoWhereTheBuilderAppendsToAFileIsRefusedAsTheSpecsFault() {
        // A new user's line is appended to /etc/shadow, keeping its owner and mode: that needs a
        // regular file there.
        Layers layers = Layers.none().users(new BuildRequested.User("alice", List.of(), List.of()))
                .scripts(new BuildRequested.Script("trap", "pre", "rm /etc/shadow\nmkfifo /etc/shadow\n", 30));

        BuildException failure = assertTimeoutPreemptively(HANG_GUARD, () -> failure(TestBases.BUSYBOX, layers));

        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        assertEquals("SPECIAL_FILE", failure.code());
        assertTrue(failure.getMessage().contains("/etc/shadow"), failure.getMessage());
    }

    @Test
    void aFailingScriptFailsTheBuildWithItsLastOutputLines() {
        BuildException failure = failure(TestBases.BUSYBOX, Layers.none().scripts(
                new BuildRequested.Script("broken", "post", "echo starting\necho 'disk is full' >&2\nexit 3\n", 30)));
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        assertEquals("SCRIPT_FAILED", failure.code());
        assertTrue(failure.getMessage().contains("exited with 3"), failure.getMessage());
        assertTrue(failure.getMessage().contains("starting | disk is full"), failure.getMessage());
    }

    @Test
    void aScriptThatRunsOutOfTimeIsStoppedWithEveryProcessItStarted() {
        // Paths, not applet names: busybox sh would run a bare "sleep" inside its own process.
        String background = "/bin/sleep 3171";
        String foreground = "/bin/sleep 3172";
        CompletableFuture<BuildException> outcome = CompletableFuture.supplyAsync(() -> failure(TestBases.BUSYBOX,
                Layers.none().scripts(new BuildRequested.Script("slow", "pre", background + " &\n" + foreground + "\n", 3))));
        Processes.awaitStarted(background, Duration.ofSeconds(30));
        Processes.awaitStarted(foreground, Duration.ofSeconds(30));

        BuildException failure = outcome.join();
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        assertEquals("SCRIPT_TIMEOUT", failure.code());
        Processes.awaitGone(background);
        Processes.awaitGone(foreground);
    }

    @Test
    void cancellingABuildKillsItsRunningScriptAndStopsIt() {
        String script = "/bin/sleep 3173";
        BuildCancellation cancellation = new BuildCancellation();
        BuildRequested request = request(TestBases.BUSYBOX, BuildRequested.STANDARD,
                Layers.none().scripts(new BuildRequested.Script("long", "post", script + "\n", 600)));
        CompletableFuture<Builder.BuiltImage> outcome = CompletableFuture.supplyAsync(
                () -> new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)).build(request, workDir, log, cancellation));
        Processes.awaitStarted(script, Duration.ofSeconds(30));

        cancellation.cancel();

        CompletionException stopped = assertThrows(CompletionException.class, outcome::join);
        assertTrue(stopped.getCause() instanceof BuildCancelledException, "stopped by the cancellation: " + stopped);
        Processes.awaitGone(script);
    }

    @Test
    void aBaseWithoutAShellCannotRunScripts() {
        BuildException failure = failure("debian-12-skeleton",
                Layers.none().scripts(new BuildRequested.Script("s", "post", "true\n", 30)));
        assertEquals("NO_SHELL", failure.code());
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
    }

    @Test
    void aFileOwnedByAUserTheImageDoesNotKnowIsRefused() {
        BuildException failure = failure(TestBases.BUSYBOX, Layers.none()
                .files(new BuildRequested.FileCustomization("/etc/x", "x", "0644", "ghost:root")));
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        assertEquals("UNKNOWN_OWNER", failure.code());
        assertTrue(failure.getMessage().contains("user 'ghost' is not in the image's /etc/passwd"), failure.getMessage());
    }

    @Test
    void aUserTheBaseAlreadyHasIsRefused() {
        BuildException failure = failure(TestBases.BUSYBOX,
                Layers.none().users(new BuildRequested.User("daemon", List.of(), List.of(ALICE_KEY))));
        assertEquals("USER_EXISTS", failure.code());
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
    }

    @Test
    void usersNeedABaseWithAnAccountDatabase() throws IOException {
        Files.writeString(Files.createDirectories(bases.resolve("no-accounts/etc")).resolve("hostname"), "x\n");
        BuildException failure = failure("no-accounts",
                Layers.none().users(new BuildRequested.User("alice", List.of(), List.of())));
        assertEquals("NO_ACCOUNT_DATABASE", failure.code());
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
    }

    @Test
    void fipsImagesAreLeftToTheImageBuilderExecutor() {
        BuildException failure = assertThrows(BuildException.class, () -> new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases))
                .build(request(TestBases.BUSYBOX, "fips", Layers.none()), workDir, log, new BuildCancellation()));
        assertEquals("FIPS_NOT_AVAILABLE", failure.code());
        assertEquals("FIPS images are built by the image-builder executor, not available yet", failure.getMessage());
    }
}
