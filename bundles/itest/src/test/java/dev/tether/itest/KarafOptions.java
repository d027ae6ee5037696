package dev.tether.itest;

import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.vmOptions;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import dev.tether.launcher.testing.ReactorBundles;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.options.MavenArtifactUrlReference;

/**
 * Pax Exam options for a real Apache Karaf distribution (from Maven Central) with Tether's
 * feature repository of this build (docs/build-notes.md, note 13). Runs in the Surefire JVM.
 *
 * <p>The repository is the one the features module generated, with every {@code mvn:dev.tether/...}
 * bundle rewritten to the {@code file:} jar of this build in target/bundles: Karaf then needs no
 * {@code mvn install} of the reactor (a plain {@code mvn verify} runs this test), and it can never
 * pick up a stale SNAPSHOT from the local repository. Third-party bundles (JNA, the Health Check
 * API) stay {@code mvn:} URLs, served by the local repository.
 */
final class KarafOptions {
    /** Surefire system properties (pom.xml). */
    static final String FEATURES_PROPERTY = "tether.itest.features";
    static final String BUILD_DIR_PROPERTY = "tether.itest.buildDir";
    static final String LOCAL_REPO_PROPERTY = "tether.itest.localRepository";
    static final String KARAF_VERSION_PROPERTY = "tether.itest.karafVersion";
    static final String MVN_CFG = "etc/org.ops4j.pax.url.mvn.cfg";
    static final String SHELL_CFG = "etc/org.apache.karaf.shell.cfg";
    /** Karaf's JAAS realm "karaf" (PropertiesLoginModule): user = password,role... */
    static final String USERS = "etc/users.properties";
    /** A Tether bundle in the feature repository: {@code mvn:dev.tether/<artifactId>/<version>}. */
    private static final Pattern TETHER_BUNDLE = Pattern.compile("mvn:dev\\.tether/([\\w.]+)/([\\w.-]+)");

    private KarafOptions() {
    }

    static Option[] karaf() {
        Path buildDir = Paths.get(property(BUILD_DIR_PROPERTY, "target")).toAbsolutePath();
        String karafVersion = property(KARAF_VERSION_PROPERTY, "4.4.10");
        Path karafTmp = mkdirs(buildDir.resolve("karaf-tmp"));
        MavenArtifactUrlReference distribution = maven().groupId("org.apache.karaf").artifactId("apache-karaf")
                .version(karafVersion).type("zip");
        String localRepo = property(LOCAL_REPO_PROPERTY, System.getProperty("user.home") + "/.m2/repository");
        int sshPort = freePort();
        return options(
                karafDistributionConfiguration().frameworkUrl(distribution).name("Apache Karaf")
                        .unpackDirectory(buildDir.resolve("karaf-exam").toFile()).useDeployFolder(false),
                // bin/karaf's JDK 9+ options (Pax Exam does not add them; docs/build-notes.md, note 17); the class path
                // is relative to the unpacked distribution, the runner's working directory
                vmOptions("--add-reads=java.xml=java.logging",
                        "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                        "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar",
                        "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar",
                        "--add-opens", "java.base/java.security=ALL-UNNAMED",
                        "--add-opens", "java.base/java.net=ALL-UNNAMED",
                        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                        "--add-opens", "java.base/java.util=ALL-UNNAMED",
                        "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                        "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                        "--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED",
                        "--add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED",
                        "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
                        "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                        "--add-exports=java.security.sasl/com.sun.security.sasl=ALL-UNNAMED",
                        "--add-exports=java.naming/com.sun.jndi.ldap=ALL-UNNAMED",
                        "--enable-native-access=ALL-UNNAMED",
                        "-Djava.io.tmpdir=" + karafTmp,
                        "-classpath", "lib/jdk9plus/*:lib/boot/*"),
                // no stdin console; Karaf's ssh server on a free loopback port, for bin/client (KarafFeatureTest), with
                // a user of this test's own (the distribution ships with every user commented out)
                configureConsole().ignoreLocalConsole(),
                editConfigurationFilePut(SHELL_CFG, "sshHost", "127.0.0.1"),
                editConfigurationFilePut(SHELL_CFG, "sshPort", Integer.toString(sshPort)),
                editConfigurationFilePut(USERS, TetherFeatures.CLIENT_USER, TetherFeatures.CLIENT_USER + ",ssh,viewer"),
                systemProperty(TetherFeatures.SSH_PORT_PROPERTY).value(Integer.toString(sshPort)),
                logLevel(LogLevel.WARN),
                // Karaf's pax-url: this build's local repository and Central only (docs/build-notes.md, note 13)
                editConfigurationFilePut(MVN_CFG, "org.ops4j.pax.url.mvn.localRepository", localRepo),
                editConfigurationFilePut(MVN_CFG, "org.ops4j.pax.url.mvn.repositories",
                        "https://repo1.maven.org/maven2@id=central"),
                // JNA unpacks its native library here, not in ~/.cache/JNA
                systemProperty("jna.tmpdir").value(mkdirs(buildDir.resolve("jna-tmp")).toString()),
                systemProperty(TetherFeatures.REPOSITORY_PROPERTY).value(localFeatures(buildDir).toUri().toString()),
                // the reactor's bundles, read here: Karaf's JVM has no reactor to read
                systemProperty(TetherFeatures.BUNDLES_PROPERTY).value(String.join(",", allBundles())));
    }

    /**
     * The generated feature repository with Tether's bundles as file: URLs of target/bundles (the
     * runtime list) or target/karaf-bundles (the Karaf-only bundles, which the native container must
     * not install: pom.xml, copy-karaf-only).
     */
    static Path localFeatures(Path buildDir) {
        Path generated = Paths.get(property(FEATURES_PROPERTY, buildDir.resolve("karaf/dev.tether.features-features.xml").toString()));
        Path runtime = TetherOptions.bundlesDir();
        Path karafOnly = buildDir.resolve("karaf-bundles");
        try {
            String xml = Files.readString(generated, StandardCharsets.UTF_8);
            Matcher m = TETHER_BUNDLE.matcher(xml);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String file = m.group(1) + "-" + m.group(2) + ".jar";
                Path jar = Files.isRegularFile(runtime.resolve(file)) ? runtime.resolve(file) : karafOnly.resolve(file);
                if (!Files.isRegularFile(jar)) {
                    throw new IllegalStateException(generated + " names " + m.group() + ", but " + jar + " does not exist");
                }
                m.appendReplacement(out, Matcher.quoteReplacement(jar.toUri().toString()));
            }
            m.appendTail(out);
            Path local = buildDir.resolve("karaf/tether-features-local.xml");
            Files.writeString(local, out, StandardCharsets.UTF_8);
            return local;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + generated + " (run the tests through Maven: the"
                    + " copy-features step puts it there)", e);
        }
    }

    /** The reactor's bundles, the Karaf-only ones included: feature tether installs them all. */
    private static java.util.Set<String> allBundles() {
        java.util.Set<String> all = new java.util.TreeSet<>(ReactorBundles.symbolicNames());
        all.addAll(ReactorBundles.karafOnly());
        return all;
    }

    /** A loopback port free right now (Karaf binds it a few seconds later; another process could take it first). */
    private static int freePort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for Karaf's ssh server", e);
        }
    }

    private static Path mkdirs(Path dir) {
        File f = dir.toFile();
        if (!f.isDirectory() && !f.mkdirs()) {
            throw new IllegalStateException("cannot create " + dir);
        }
        return dir;
    }

    private static String property(String key, String fallback) {
        String value = System.getProperty(key);
        return value == null || value.isEmpty() ? fallback : value;
    }
}
