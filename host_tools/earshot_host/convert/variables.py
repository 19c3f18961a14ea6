"""Resource variables of a stateful .tflite model, resolved on the host.

A streaming model keeps its state in resource variables: VAR_HANDLE names a variable,
READ_VARIABLE and ASSIGN_VARIABLE read and write it, and a CALL_ONCE op runs an
initialisation subgraph on the first invoke that assigns every variable its initial value.
The converter evaluates that subgraph here (it only moves constants into variables) and
stores the initial values as constant data; the device restores them on reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import EarshotError
from .tflite_graph import Graph, GraphOp, GraphTensor

VARIABLE_OPS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE")
# Ops that give their output the memory of their input (folded by the converter).
FOLDING_OPS = ("RESHAPE", "QUANTIZE", "DEQUANTIZE", "READ_VARIABLE")


def _key(op: GraphOp) -> str:
    options = op.options
    if options is None:
        return ""
    container = (options.Container() or b"").decode("utf-8", "replace")
    name = (options.SharedName() or b"").decode("utf-8", "replace")
    return f"{container}/{name}" if container else name


@dataclass
class Variables:
    """The variables of the main subgraph: resource tensor -> name, name -> initial value."""

    handles: dict[int, str] = field(default_factory=dict)
    initial: dict[str, GraphTensor] = field(default_factory=dict)

    def name_of(self, op: GraphOp, resource: int) -> str:
        if resource not in self.handles:
            raise EarshotError(
                f"op #{op.index} {op.name}: input {resource} is not a variable handle "
                "(no VAR_HANDLE op makes it)"
            )
        return self.handles[resource]

    def initial_value(self, op: GraphOp, name: str) -> GraphTensor:
        if name not in self.initial:
            raise EarshotError(
                f"op #{op.index} {op.name}: variable '{name}' has no initial value "
                "(no CALL_ONCE initialisation subgraph assigns it)"
            )
        return self.initial[name]


def _run_init(
    graph: Graph, index: int, initial: dict[str, GraphTensor], running: list[int]
) -> None:
    """Evaluate initialisation subgraph `index`, recording assigned values in initial."""
    subgraphs = graph.subgraphs
    caller = running[-1]
    if not 0 <= index < len(subgraphs):
        raise EarshotError(
            f"CALL_ONCE in subgraph {caller} calls subgraph {index}, which does not exist "
            f"(the file has {len(subgraphs)})"
        )
    if index in running:
        chain = " -> ".join(str(i) for i in [*running, index])
        raise EarshotError(f"CALL_ONCE loop: subgraph {index} is called while it runs ({chain})")
    sub = subgraphs[index]
    running.append(index)
    handles: dict[int, str] = {}
    values: dict[int, GraphTensor] = {}
    for op in sub.ops:
        where = f"initialisation subgraph {index} op #{op.index} {op.name}"
        if op.name == "VAR_HANDLE":
            handles[op.outputs[0]] = _key(op)
        elif op.name == "CALL_ONCE":
            _run_init(graph, op.options.InitSubgraphIndex(), initial, running)
        elif op.name in ("ASSIGN_VARIABLE", "READ_VARIABLE"):
            resource = op.inputs[0]
            if resource not in handles:
                raise EarshotError(f"{where}: input {resource} is not a variable handle")
            name = handles[resource]
            if op.name == "READ_VARIABLE":
                if name not in initial:
                    raise EarshotError(f"{where}: reads variable '{name}' before it is assigned")
                values[op.outputs[0]] = initial[name]
                continue
            value = values.get(op.inputs[1], sub.tensors[op.inputs[1]])
            if not value.is_const:
                raise EarshotError(
                    f"{where}: the value of variable '{name}' is not a constant "
                    "(an initialisation subgraph may only assign constants)"
                )
            initial[name] = value
        else:
            raise EarshotError(
                f"{where} is not supported in an initialisation subgraph (supported: "
                f"{', '.join(VARIABLE_OPS)})"
            )
    running.pop()


def resolve_variables(graph: Graph) -> Variables:
    """Run every CALL_ONCE of the main subgraph on the host and name its variable handles."""
    variables = Variables()
    seen_variable_op = False
    for op in graph.ops:
        if op.name == "CALL_ONCE":
            if seen_variable_op:
                raise EarshotError(
                    f"op #{op.index} CALL_ONCE comes after the model reads or assigns a "
                    "variable; only an initialisation before any variable use is supported"
                )
            if op.options is None:
                raise EarshotError(f"op #{op.index} CALL_ONCE has no options")
            _run_init(graph, op.options.InitSubgraphIndex(), variables.initial, [graph.index])
        elif op.name == "VAR_HANDLE":
            variables.handles[op.outputs[0]] = _key(op)
        elif op.name in ("READ_VARIABLE", "ASSIGN_VARIABLE"):
            seen_variable_op = True
    return variables


def reads_needing_copy(graph: Graph, variables: Variables) -> set[int]:
    """READ_VARIABLE ops (by index) whose value must be copied out of the variable.

    A read is folded (its output shares the variable's memory) when every op that uses
    the value (through folded reshapes) runs no later than the next ASSIGN_VARIABLE to the
    same variable, and the value is no model output; otherwise the assign would change it.
    """
    group: dict[int, int] = {}

    def find(tensor: int) -> int:
        while tensor in group:
            tensor = group[tensor]
        return tensor

    for op in graph.ops:
        if op.name in FOLDING_OPS and op.name != "READ_VARIABLE" and op.inputs and op.outputs:
            group[op.outputs[0]] = find(op.inputs[0])
    last_use: dict[int, int] = {}
    for op in graph.ops:
        if op.name in FOLDING_OPS and op.name != "READ_VARIABLE":
            continue
        for tensor in op.inputs:
            if tensor >= 0:
                last_use[find(tensor)] = op.index
    outputs = {find(t) for t in graph.outputs}
    copies = set()
    for op in graph.ops:
        if op.name != "READ_VARIABLE":
            continue
        name = variables.name_of(op, op.inputs[0])
        value = find(op.outputs[0])
        next_assign = next(
            (
                later.index
                for later in graph.ops[op.index + 1 :]
                if later.name == "ASSIGN_VARIABLE"
                and variables.handles.get(later.inputs[0]) == name
            ),
            None,
        )
        used_until = last_use.get(value, op.index)
        if value in outputs or (next_assign is not None and used_until > next_assign):
            copies.add(op.index)
    return copies
