package dev.tether.launcher;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;

/**
 * A PrintStream that remembers why a write failed. A PrintStream swallows write errors;
 * {@link PrintStream#checkError()} tells only that one happened, and a command that could not
 * write its output should say why (a full disk, /dev/full).
 */
final class CheckedPrintStream extends PrintStream {
    private final Recorder recorder;

    private CheckedPrintStream(Recorder recorder, Charset charset) {
        super(recorder, true, charset);
        this.recorder = recorder;
    }

    /** A PrintStream over {@code sink} whose recorder keeps the first write failure. */
    static PrintStream over(OutputStream sink, Charset charset) {
        return new CheckedPrintStream(new Recorder(sink), charset);
    }

    /** Why writing to {@code out} failed, as ": reason" ("": unknown, or it did not fail). */
    static String writeFailure(PrintStream out) {
        IOException e = out instanceof CheckedPrintStream c ? c.recorder.failure : null;
        return e == null || e.getMessage() == null ? "" : ": " + e.getMessage();
    }

    /** Passes everything on, and keeps the first IOException on the way before rethrowing it. */
    private static final class Recorder extends FilterOutputStream {
        private volatile IOException failure;

        Recorder(OutputStream out) {
            super(out);
        }

        private IOException record(IOException e) {
            if (failure == null) {
                failure = e;
            }
            return e;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw record(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw record(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw record(e);
            }
        }
    }
}
