package dev.byoos.contract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The machine's own apt sources ({@code sources.list}, {@code sources.list.d/*.list} in the
 * one-line format and {@code *.sources} in deb822, under {@code /etc/apt}). No mirror or registry
 * is written into the factory: the hosts they name are the default of both allow-lists,
 * {@code byoos.spec.allowed-hosts} (spec-service) and {@code byoos.worker.allowed-mirror-hosts}
 * (build-worker), and the archive they name for the machine's release is the devstack's default
 * mirror and the tests' Debian mirror. Each service trusts the mirrors its machine was set up with
 * until an operator lists others.
 */
public final class AptSources {

    /** The allow-list entry that stands for the hosts the apt sources name. */
    public static final String TOKEN = "apt-sources";

    private static final Path APT = Path.of("/etc/apt");
    /** The values apt reads as false in a deb822 {@code Enabled:} field. */
    private static final Set<String> SWITCHED_OFF = Set.of("no", "false", "off", "0", "without", "disable");

    private AptSources() {
    }

    /** {@code configured} with {@value #TOKEN} replaced by the hosts this machine's apt sources name. */
    public static List<String> expand(List<String> configured) {
        return expand(configured, APT);
    }

    /**
     * As {@link #expand(List)}, with the apt sources under {@code aptDirectory}. The token leaves
     * out what names the machine itself (loopback, {@code localhost}, any-local and link-local
     * addresses, such as an apt cache on {@code 127.0.0.1:3142}): the lists check hosts, not ports,
     * so such a source would let a spec point a worker at every service on its own loopback or at
     * the cloud's metadata address. An operator who wants one lists it by name, knowing that.
     */
    public static List<String> expand(List<String> configured, Path aptDirectory) {
        Set<String> hosts = new LinkedHashSet<>();
        for (String entry : configured) {
            if (TOKEN.equals(entry.strip())) {
                hosts(aptDirectory).stream().filter(host -> !namesThisMachine(host)).forEach(hosts::add);
            } else if (!entry.isBlank()) {
                hosts.add(entry.strip());
            }
        }
        return List.copyOf(hosts);
    }

    /** The hosts of every http(s) URI in the apt sources under {@code aptDirectory}, in file order. */
    public static Set<String> hosts(Path aptDirectory) {
        Set<String> hosts = new LinkedHashSet<>();
        for (Source source : sources(aptDirectory)) {
            for (String uri : source.uris()) {
                host(uri).ifPresent(hosts::add);
            }
        }
        return hosts;
    }

    /** Whether {@code host} is {@code localhost} or a loopback, any-local or link-local address literal. */
    static boolean namesThisMachine(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        if (name.equals("localhost") || name.endsWith(".localhost")) {
            return true;
        }
        boolean literal = name.startsWith("[") || name.matches("[0-9]+(\\.[0-9]+){3}");
        if (!literal) {
            return false;
        }
        try {
            // A literal: no name lookup happens.
            InetAddress address = InetAddress.getByName(name.replace("[", "").replace("]", ""));
            return address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress();
        } catch (UnknownHostException e) {
            return true;
        }
    }

    /** The archive (an http(s) URI without trailing slash) this machine's apt sources name for {@code suite}. */
    public static Optional<String> archive(String suite) {
        return archive(APT, suite);
    }

    /**
     * The first http(s) URI of an apt source of binary packages ({@code deb}, not only
     * {@code deb-src}) under {@code aptDirectory} whose suites include {@code suite} itself.
     */
    public static Optional<String> archive(Path aptDirectory, String suite) {
        for (Source source : sources(aptDirectory)) {
            if (source.binary() && source.suites().contains(suite)) {
                for (String uri : source.uris()) {
                    if (host(uri).isPresent()) {
                        return Optional.of(uri.replaceAll("/+$", ""));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** @param binary whether the source has binary packages ({@code deb}), not only source packages */
    private record Source(List<String> uris, List<String> suites, boolean binary) {
    }

    private static List<Source> sources(Path aptDirectory) {
        List<Path> files = new ArrayList<>(List.of(aptDirectory.resolve("sources.list")));
        Path parts = aptDirectory.resolve("sources.list.d");
        if (Files.isDirectory(parts)) {
            try (Stream<Path> listed = Files.list(parts)) {
                listed.filter(file -> file.toString().endsWith(".list") || file.toString().endsWith(".sources"))
                        .sorted().forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<Source> sources = new ArrayList<>();
        for (Path file : files) {
            if (Files.isRegularFile(file)) {
                sources.addAll(sourcesIn(file));
            }
        }
        return sources;
    }

    /**
     * One-line entries ({@code deb [options] URI suite components}) and deb822 stanzas (Types:,
     * URIs:, Suites:, each value possibly continued on indented lines); a stanza apt has switched
     * off ({@code Enabled: no}, or another false value) is not one here either: it must not widen
     * an allow-list.
     */
    private static List<Source> sourcesIn(Path file) {
        List<String> lines;
        try {
            // Sources are ASCII; read byte for byte so that a stray non-UTF-8 comment cannot stop a service.
            lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Source> sources = new ArrayList<>();
        Stanza stanza = new Stanza();
        for (String line : lines) {
            String content = line.strip();
            if (content.startsWith("#")) {
                continue;
            }
            if (content.isEmpty()) {
                stanza.end(sources);
                stanza = new Stanza();
            } else if (Character.isWhitespace(line.charAt(0)) && stanza.field != null) {
                stanza.field.addAll(List.of(content.split("\\s+")));
            } else if (content.matches("deb(-src)?\\s.*")) {
                String[] words = content.replaceFirst("^deb(-src)?\\s+(\\[[^]]*]\\s+)?", "").split("\\s+");
                sources.add(new Source(List.of(words[0]), words.length >= 2 ? List.of(words[1]) : List.of(),
                        !content.startsWith("deb-src")));
            } else {
                stanza.read(content);
            }
        }
        stanza.end(sources);
        return sources;
    }

    /** The deb822 stanza being read. */
    private static final class Stanza {
        private final List<String> types = new ArrayList<>();
        private final List<String> uris = new ArrayList<>();
        private final List<String> suites = new ArrayList<>();
        private boolean enabled = true;
        /** The multi-valued field the last field line began, which indented lines continue; null after any other. */
        private List<String> field;

        void read(String content) {
            int colon = content.indexOf(':');
            String name = colon < 0 ? "" : content.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = colon < 0 ? "" : content.substring(colon + 1).strip();
            field = switch (name) {
                case "types" -> types;
                case "uris" -> uris;
                case "suites" -> suites;
                default -> null;
            };
            if (field != null && !value.isEmpty()) {
                field.addAll(List.of(value.split("\\s+")));
            } else if (name.equals("enabled")) {
                enabled = !SWITCHED_OFF.contains(value.toLowerCase(Locale.ROOT));
            }
        }

        void end(List<Source> sources) {
            if (!uris.isEmpty() && enabled) {
                // apt requires Types:; a stanza without it is read as binary packages.
                sources.add(new Source(List.copyOf(uris), List.copyOf(suites), types.isEmpty() || types.contains("deb")));
            }
        }
    }

    private static Optional<String> host(String uri) {
        String lower = uri.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(new URI(uri).getHost()).map(host -> host.toLowerCase(Locale.ROOT));
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }
}
