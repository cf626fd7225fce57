#!/usr/bin/python3
"""Writes the Fortran module `sluice` (sluice.f90) from sluice.f90.in: the template holds
the hand-written part; this script adds the procedures that differ only by element type
and rank (publish, slot, apply_injections for f32/f64/i32/i64/u8 arrays of rank 1 to 3,
publish_value for each scalar type), which Fortran 2008 cannot write once.

usage: generate_module.py TEMPLATE OUTPUT
"""
import sys

TYPES = [  # (suffix, Fortran type, C dtype constant)
    ("f32", "real(c_float)", "SLUICE_F32"),
    ("f64", "real(c_double)", "SLUICE_F64"),
    ("i32", "integer(c_int32_t)", "SLUICE_I32"),
    ("i64", "integer(c_int64_t)", "SLUICE_I64"),
    ("u8", "integer(c_int8_t)", "SLUICE_U8"),
]
RANKS = [1, 2, 3]


def dims(rank):
    return "(" + ",".join([":"] * rank) + ")"


def generic_names():
    out = []
    for kind in ("publish", "slot", "apply_injections"):
        names = [f"{kind}_{s}_{r}" for s, _, _ in TYPES for r in RANKS]
        out.append(f"  interface sluice_{kind}\n    module procedure " +
                   ", &\n      ".join(names) + "\n  end interface sluice_" + kind)
    names = [f"publish_value_{s}" for s, _, _ in TYPES]
    out.append("  interface sluice_publish_value\n    module procedure " + ", &\n      ".join(names) +
               "\n  end interface sluice_publish_value")
    return "\n".join(out)


def procedures():
    out = []
    for suffix, ftype, dtype in TYPES:
        for rank in RANKS:
            out.append(f"""
  !> Copies `data` (the local buffer, Fortran order) and publishes iteration `iteration`.
  subroutine publish_{suffix}_{rank}(stream, iteration, data, ierr)
    type(sluice_stream), intent(in) :: stream
    integer, intent(in) :: iteration
    {ftype}, intent(in), target, contiguous :: data{dims(rank)}
    integer, intent(out), optional :: ierr
    integer(c_int) :: status
    integer(c_int64_t) :: c_shape({rank})
    c_shape = reversed(int(shape(data), c_int64_t))
    status = c_stream_check_buffer(stream%ptr, 0_c_int32_t, {rank}_c_int32_t, c_shape)
    if (status == SLUICE_OK) then
      status = c_publish(stream%ptr, int(iteration, c_int64_t), {dtype}, c_loc(data))
    end if
    call finish(status, ierr)
  end subroutine publish_{suffix}_{rank}

  !> Zero-copy: points `field` at the slot of iteration `iteration` (block `block`,
  !> default 1), of the local shape in Fortran order; commit with sluice_commit.
  subroutine slot_{suffix}_{rank}(stream, iteration, field, ierr, block)
    type(sluice_stream), intent(in) :: stream
    integer, intent(in) :: iteration
    {ftype}, pointer, intent(out) :: field{dims(rank)}
    integer, intent(out), optional :: ierr
    integer, intent(in), optional :: block
    integer(c_int) :: status
    type(c_ptr) :: data
    integer(c_int64_t) :: local_shape({rank})
    nullify(field)
    status = slot_pointer(stream, iteration, {dtype}, {rank}, block, data, local_shape)
    if (status == SLUICE_OK) call c_f_pointer(data, field, local_shape)
    call finish(status, ierr)
  end subroutine slot_{suffix}_{rank}

  !> Writes the injections holding from `iteration` into `data` (the local buffer).
  subroutine apply_injections_{suffix}_{rank}(stream, iteration, data, ierr, written)
    type(sluice_stream), intent(in) :: stream
    integer, intent(in) :: iteration
    {ftype}, intent(inout), target, contiguous :: data{dims(rank)}
    integer, intent(out), optional :: ierr
    integer(c_int64_t), intent(out), optional :: written
    integer(c_int) :: status
    integer(c_int64_t) :: count, c_shape({rank})
    count = 0
    c_shape = reversed(int(shape(data), c_int64_t))
    status = c_stream_check_buffer(stream%ptr, 0_c_int32_t, {rank}_c_int32_t, c_shape)
    if (status == SLUICE_OK) then
      status = c_apply_injections(stream%ptr, int(iteration, c_int64_t), {dtype}, c_loc(data), &
        count)
    end if
    if (present(written)) written = count
    call finish(status, ierr)
  end subroutine apply_injections_{suffix}_{rank}
""")
        out.append(f"""
  !> Publishes the value of a single-value stream (every simulation rank, same value).
  subroutine publish_value_{suffix}(stream, iteration, value, ierr)
    type(sluice_stream), intent(in) :: stream
    integer, intent(in) :: iteration
    {ftype}, intent(in), target :: value
    integer, intent(out), optional :: ierr
    call finish(c_publish_value(stream%ptr, int(iteration, c_int64_t), {dtype}, c_loc(value)), ierr)
  end subroutine publish_value_{suffix}
""")
    return "".join(out)


def main():
    template, output = sys.argv[1:3]
    with open(template) as f:
        text = f.read()
    text = text.replace("!@GENERIC_INTERFACES@", generic_names())
    text = text.replace("!@GENERIC_PROCEDURES@", procedures())
    with open(output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
