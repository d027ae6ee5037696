package dev.tether.itest;

import static org.junit.Assert.assertEquals;

import dev.tether.api.HostArch;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.RegisterLayout;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Arch services can be {@code @Inject}ed: Pax Exam injects before any {@code @Before} runs, so this
 * passes only because {@link ArchBundleStarter} started the host's arch bundle while the framework
 * started. Also the smallest example of a test class in this module.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ArchServiceInjectionTest extends TetherTestSupport {

    @Inject
    private RegisterLayout registerLayout;

    @Inject
    private SyscallTable syscallTable;

    @Test
    public void injectedArchServicesAreTheHostArchs() {
        String host = HostArch.current().archName();
        assertEquals("RegisterLayout.arch()", host, registerLayout.arch());
        assertEquals("SyscallTable.arch()", host, syscallTable.arch());
    }
}
