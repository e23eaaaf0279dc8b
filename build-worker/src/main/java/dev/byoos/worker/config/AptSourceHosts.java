package dev.byoos.worker.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The hosts the worker machine's own apt sources name ({@code sources.list}, {@code *.list} and
 * deb822 {@code *.sources} under {@code /etc/apt}): the default of
 * {@code byoos.worker.allowed-mirror-hosts}, so no mirror is written into the factory and a worker
 * trusts the mirrors its own machine was set up with.
 */
public final class AptSourceHosts {

    /** The entry of {@code byoos.worker.allowed-mirror-hosts} that stands for these hosts. */
    public static final String TOKEN = "apt-sources";

    private static final Path APT = Path.of("/etc/apt");

    private AptSourceHosts() {
    }

    /** {@code configured} with {@value #TOKEN} replaced by the hosts this machine's apt sources name. */
    public static List<String> expand(List<String> configured) {
        return expand(configured, APT);
    }

    static List<String> expand(List<String> configured, Path aptDirectory) {
        Set<String> hosts = new LinkedHashSet<>();
        for (String entry : configured) {
            if (TOKEN.equals(entry.strip())) {
                hosts.addAll(in(aptDirectory));
            } else if (!entry.isBlank()) {
                hosts.add(entry.strip());
            }
        }
        return List.copyOf(hosts);
    }

    /** The hosts of every http(s) URI in the apt sources under {@code aptDirectory}. */
    static Set<String> in(Path aptDirectory) {
        List<Path> files = new ArrayList<>();
        files.add(aptDirectory.resolve("sources.list"));
        Path parts = aptDirectory.resolve("sources.list.d");
        if (Files.isDirectory(parts)) {
            try (Stream<Path> listed = Files.list(parts)) {
                listed.filter(file -> file.toString().endsWith(".list") || file.toString().endsWith(".sources"))
                        .sorted().forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Set<String> hosts = new LinkedHashSet<>();
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(file)) {
                    String content = line.strip();
                    if (content.startsWith("#")) {
                        continue;
                    }
                    // One-line format: "deb [options] URI suite components"; deb822: "URIs: URI ...".
                    boolean oneLine = content.startsWith("deb ") || content.startsWith("deb-src ");
                    boolean deb822 = content.regionMatches(true, 0, "URIs:", 0, 5);
                    if (oneLine || deb822) {
                        for (String word : (deb822 ? content.substring(5) : content).split("\\s+")) {
                            host(word).ifPresent(hosts::add);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return hosts;
    }

    private static java.util.Optional<String> host(String word) {
        String lower = word.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.ofNullable(new URI(word).getHost()).map(host -> host.toLowerCase(Locale.ROOT));
        } catch (URISyntaxException e) {
            return java.util.Optional.empty();
        }
    }
}
