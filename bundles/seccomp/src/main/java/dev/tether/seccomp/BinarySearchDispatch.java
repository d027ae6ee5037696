package dev.tether.seccomp;

import dev.tether.bpf.JumpCondition;
import dev.tether.seccomp.Dag.Node;
import dev.tether.seccomp.Dag.Test;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@link SeccompCompiler.Dispatch#BINARY_SEARCH}: gVisor's search tree over the listed syscall
 * numbers (pkg/seccomp/seccomp.go, {@code createBST} and {@code buildBSTProgram}: node = middle
 * element, pre-order), {@code JEQ nr} to the syscall's chain and {@code JGT nr} to a subtree per
 * node.
 */
final class BinarySearchDispatch {
    private static final int NR = SeccompData.OFFSET_NR;
    private final Map<Integer, Node> chains;
    private final Dag.Factory dispatch;
    private final Node defaultRet;
    private BstNode tree;

    BinarySearchDispatch(Map<Integer, Node> chains, Dag.Factory dispatch, Node defaultRet) {
        this.chains = chains;
        this.dispatch = dispatch;
        this.defaultRet = defaultRet;
    }

    /** The dispatch over {@code keys} (sorted). */
    Node build(List<Integer> keys) {
        tree = bst(keys, 0, keys.size());
        return dispatchNode(tree);
    }

    private record BstNode(int value, BstNode left, BstNode right, Node[] tests) {
    }

    /** gVisor's createBST: the middle element, then both halves. */
    private BstNode bst(List<Integer> keys, int from, int to) {
        if (from >= to) {
            return null;
        }
        int mid = from + (to - from) / 2;
        return new BstNode(keys.get(mid), bst(keys, from, mid), bst(keys, mid + 1, to), new Node[2]);
    }

    /**
     * The dispatch node for a tree node, with gVisor's shape: {@code JEQ S} to the chain,
     * else {@code JGT S} to the right or left subtree (a missing child is the default
     * action), a leaf's {@code JEQ} failing straight to the default. Keeping the shape keeps
     * every path at most as long as gVisor's; only nodes that fold away entirely (a leaf
     * whose chain is the default action) disappear.
     */
    private Node dispatchNode(BstNode n) {
        if (n == null) {
            return defaultRet;
        }
        Node left = dispatchNode(n.left());
        Node right = dispatchNode(n.right());
        Node split = n.left() == null && n.right() == null ? defaultRet
                : dispatch.test(NR, -1, JumpCondition.JGT, n.value(), right, left);
        n.tests()[1] = ownTest(split, JumpCondition.JGT, n.value());
        Node jeq = dispatch.test(NR, -1, JumpCondition.JEQ, n.value(), chains.get(n.value()), split);
        n.tests()[0] = ownTest(jeq, JumpCondition.JEQ, n.value());
        return jeq;
    }

    /** {@code n} if it is the dispatch test {@code nr op value} (and not a folded successor). */
    private static Node ownTest(Node n, JumpCondition op, int value) {
        return n instanceof Test t && t.word == NR && t.op == op && t.k == value ? n : null;
    }

    /** Lays the tree out in pre-order with each node's chain right after its own tests (as gVisor places checkArgs). */
    void layout(Consumer<Node> place, Consumer<Node> placeChain) {
        placeTree(tree, place, placeChain);
    }

    private void placeTree(BstNode n, Consumer<Node> place, Consumer<Node> placeChain) {
        if (n == null) {
            return;
        }
        place.accept(n.tests()[0]);
        place.accept(n.tests()[1]);
        placeChain.accept(chains.get(n.value()));
        placeTree(n.left(), place, placeChain);
        placeTree(n.right(), place, placeChain);
    }
}
