import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.base.SuiteReleases;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.sandbox.Sandbox;
import dev.byoos.worker.builder.sandbox.SandboxLimits;

/**
 * What the build sandbox costs per run, against the same command under plain chroot (the floor:
 * what the worker did before it had a sandbox), on the bookworm debootstrap base already in the
 * machine's base cache: a trivial script, a script that reads the package database, the same
 * with the mirror bridge and proxy set up, and apt-get update from the mirror (through the
 * proxy; the floor with the worker's own network and resolver). Prints one line per measurement
 * with the median and every run, in seconds.
 *
 * Usage: java -cp <build-worker runtime classpath> bench/SandboxBench.java RUNS WORK_DIR MIRROR_URL
 */
public class SandboxBench {

    static final Path BASE_CACHE = Path.of(System.getProperty("user.home"), ".cache", "byoos", "debootstrap-bases");
    static final Map<String, String> ENVIRONMENT = Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "HOME", "/root",
            "LC_ALL", "C", "DEBIAN_FRONTEND", "noninteractive");
    static final String APT_UPDATE = "rm -rf /var/lib/apt/lists/*; apt-get -q update >/dev/null";

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        Path work = Path.of(args[1]).toAbsolutePath();
        String mirror = args[2];
        String mirrorHost = java.net.URI.create(mirror).getHost();
        BuildLog log = new BuildLog();
        CommandRunner commands = new CommandRunner(log, new BuildCancellation());
        DebootstrapBases bases = new DebootstrapBases(BASE_CACHE, List.of(mirrorHost),
                new SuiteReleases(new SuiteReleases.Settings(Optional.empty(), Optional.empty(),
                        SuiteReleases.DEFAULT_MAX_BYTES, Duration.ofSeconds(10), Duration.ofSeconds(30))),
                PackageNetwork.direct(), Map.of());
        DebootstrapBases.Suite bookworm = bases.resolve(new BuildRequested.Debootstrap("bookworm", mirror), "debian",
                log, new BuildCancellation());
        Path root = bases.checkout(bookworm, work, commands, log, new BuildCancellation()).root();
        Files.copy(Path.of("/etc/resolv.conf"), root.resolve("etc/resolv.conf"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Sandbox sandbox = new Sandbox(new Sandbox.Settings(SandboxLimits.defaults(), Set.of(mirrorHost)));

        for (String[] script : List.of(new String[] {"true", "true"},
                new String[] {"dpkg-query", "dpkg-query -W > /dev/null"})) {
            report(script[0] + " chroot", runs, () -> commands.runScript(Duration.ofMinutes(5), root, ENVIRONMENT,
                    "chroot", root.toString(), "/bin/sh", "-c", script[1]));
            report(script[0] + " sandbox", runs, () -> sandbox.run(root, List.of("/bin/sh", "-c", script[1]),
                    ENVIRONMENT, Sandbox.Network.NONE, Duration.ofMinutes(5), commands, log));
            report(script[0] + " sandbox+mirrors", runs, () -> sandbox.run(root, List.of("/bin/sh", "-c", script[1]),
                    ENVIRONMENT, Sandbox.Network.PACKAGE_MIRRORS, Duration.ofMinutes(5), commands, log));
        }
        report("apt-get-update chroot (worker's network)", runs, () -> commands.runScript(Duration.ofMinutes(5), root,
                ENVIRONMENT, "chroot", root.toString(), "/bin/sh", "-c", APT_UPDATE));
        report("apt-get-update sandbox (through the proxy)", runs, () -> sandbox.run(root, List.of("/bin/sh", "-c",
                "rm -rf /var/lib/apt/lists/*; apt-get -q -o Acquire::http::Proxy=" + Sandbox.PROXY_URL
                        + " -o Acquire::http::Pipeline-Depth=0 update >/dev/null"),
                ENVIRONMENT, Sandbox.Network.PACKAGE_MIRRORS, Duration.ofMinutes(5), commands, log));
    }

    static void report(String name, int runs, Supplier<CommandRunner.Exit> run) {
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            CommandRunner.Exit exit = run.get();
            seconds.add((System.nanoTime() - start) / 1e9);
            if (exit.code() != 0 || exit.breached().isPresent()) {
                throw new IllegalStateException(name + " failed (" + exit.code() + " " + exit.breached() + "): "
                        + exit.output());
            }
        }
        List<Double> sorted = new ArrayList<>(seconds);
        Collections.sort(sorted);
        System.out.printf("%-45s median %.3f  runs %s%n", name, sorted.get(sorted.size() / 2),
                seconds.stream().map(s -> String.format("%.3f", s)).toList());
    }
}
