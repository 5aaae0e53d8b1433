"""A software prefetch for kernels that read rows of a table at random (peers' observations).

At a million cadres a kernel that reads its peers' rows waits on memory for each cross-unit
tie in turn: the per-cadre work between reads fills the processor's window, so few reads
overlap. Asking for the rows of a cadre a few places ahead lets them arrive while the current
cadre is processed. A prefetch is only a hint: it changes no value.
"""

from __future__ import annotations

import llvmlite.binding as llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: The prefetch intrinsic's name: LLVM names it by pointer type ("p0i8" before opaque pointers).
_INTRINSIC = "llvm.prefetch.p0" if llvm.llvm_version_info >= (15,) else "llvm.prefetch.p0i8"


@intrinsic
def prefetch_row(typingctx, table, row):
    """Hint the processor to bring ``table[row, 0]``'s cache line into every cache level."""

    def codegen(context, builder, signature, args):
        table_type, row_type = signature.args
        array = context.make_array(table_type)(context, builder, args[0])
        index = [context.cast(builder, args[1], row_type, types.intp),
                 context.get_constant(types.intp, 0)]
        pointer = cgutils.get_item_pointer(context, builder, table_type, array, index,
                                           wraparound=False)
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32]),
            _INTRINSIC,
        )
        # Read (0), keep in all cache levels (3), data cache (1).
        builder.call(function, [builder.bitcast(pointer, cgutils.voidptr_t), i32(0), i32(3),
                                i32(1)])
        return context.get_dummy_value()

    return types.void(table, row), codegen
