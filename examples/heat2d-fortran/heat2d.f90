! heat2d-fortran: heat2d (examples/heat2d/heat2d.cpp) written in Fortran against the
! sluice module: the same grid, decomposition, stencil, command line, steerable
! parameters and streams, so heat2d-analytics writes the same CSV for all three.
!
! Column-major: the field is t(0:cols+1, 0:rows+1), column index first, so that it has
! the memory layout of the C++ field [rows+2][cols+2]. It is exposed in Fortran order
! (global shape [ny, nx]); the module reverses it, and readers see [nx, ny] as from
! the C++ heat2d.
!
!   scripts/sluice-mpirun -np 2 heat2d-fortran --nx 512 --ny 512 --iters 100 : \
!       -np 1 heat2d-analytics --out -
program heat2d_fortran
  use, intrinsic :: iso_fortran_env, only: error_unit, output_unit
  use mpi
  use sluice
  implicit none

  character(len=*), parameter :: program_name = 'heat2d-fortran'
  integer :: nx = 2048, ny = 2048, iters = 100, every = 1
  real(c_double) :: dt0 = 0.2_c_double
  integer :: ierr, comm, rank, nprocs, dims(2), px, py, row, col
  integer :: rows, cols, first_row, first_col, up, down, left, right, column_type
  type(sluice_bridge) :: bridge
  type(sluice_stream) :: temperature, time_stream
  type(sluice_param) :: dt, hot
  real(c_double), allocatable, target :: spare_a(:,:), spare_b(:,:)
  real(c_double), pointer :: current(:,:), next(:,:), slot(:,:)
  real(c_double) :: t, t_base, dt_value, hot_value
  integer :: k, k_base, dt_since, since, last
  logical :: published, stop_requested
  integer(8) :: started, ended, rate
  real(c_double) :: seconds
  character(len=256) :: message
  character(len=16) :: timing, rate_text

  call parse()
  call MPI_Init(ierr)
  call sluice_init_split(comm, bridge)
  call MPI_Comm_rank(comm, rank, ierr)
  call MPI_Comm_size(comm, nprocs, ierr)

  ! The process grid: px x py, row-major ranks, rows split over px.
  dims = 0
  call MPI_Dims_create(nprocs, 2, dims, ierr)
  px = dims(1)
  py = dims(2)
  if (mod(nx, px) /= 0 .or. mod(ny, py) /= 0) then
    if (mod(nx, px) /= 0) then
      write(message, '(a,i0,a,i0,a)') '--nx ', nx, ' is not a multiple of the ', px, &
        ' process rows'
    else
      write(message, '(a,i0,a,i0,a)') '--ny ', ny, ' is not a multiple of the ', py, &
        ' process columns'
    end if
    if (rank == 0) then
      write(error_unit, '(a,a,i0,a,i0,a,i0,a,i0,a,a,a)') program_name, ': splitting a ', nx, &
        ' x ', ny, ' grid over ', px, ' x ', py, ' processes: ', trim(message), &
        ' (choose grid sizes that divide evenly, or another number of simulation ranks)'
      flush(error_unit)
    end if
    call MPI_Barrier(comm, ierr)
    call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
  end if
  row = rank / py
  col = mod(rank, py)
  rows = nx / px
  cols = ny / py
  first_row = row * rows
  first_col = col * cols
  up = MPI_PROC_NULL
  down = MPI_PROC_NULL
  left = MPI_PROC_NULL
  right = MPI_PROC_NULL
  if (row > 0) up = rank - py
  if (row < px - 1) down = rank + py
  if (col > 0) left = rank - 1
  if (col < py - 1) right = rank + 1

  ! Fortran order: columns first. Starts and offsets count from 0.
  call sluice_expose(bridge, 'temperature', SLUICE_F64, [ny, nx], [first_col, first_row], &
    [cols, rows], temperature, local_shape=[cols + 2, rows + 2], local_offset=[1, 1])
  call sluice_expose_value(bridge, 'time', SLUICE_F64, time_stream)
  ! Data assimilation: sluice-steer inject temperature patch.npy at I,J.
  call sluice_accept_injections(temperature)
  ! Steerable: both change only between iterations, at the same one on every rank.
  call sluice_param_add(bridge, 'dt', dt0, dt, min=1e-6_c_double, max=0.25_c_double, &
    doc='time step; stable up to 0.25')
  call sluice_param_add(bridge, 'hot', 100.0_c_double, hot, min=-1e6_c_double, &
    max=1e6_c_double, doc='temperature above row 0')

  call MPI_Type_vector(rows, 1, cols + 2, MPI_DOUBLE_PRECISION, column_type, ierr)
  call MPI_Type_commit(column_type, ierr)
  allocate(spare_a(0:cols + 1, 0:rows + 1), spare_b(0:cols + 1, 0:rows + 1))
  spare_a = 0
  spare_b = 0

  call system_clock(started, rate)
  nullify(current)
  ! t_k = t_base + (k - k_base) * dt since dt last changed: exactly k * dt when it never
  ! does, as the reference computes it.
  t = 0
  t_base = 0
  k_base = 0
  call sluice_param_since(dt, dt_since)
  stop_requested = .false.
  k = 0
  do while (k <= iters .and. .not. stop_requested)
    published = mod(k, every) == 0
    ! Published iterations are computed in the stream's slot (zero-copy); the others in
    ! whichever spare buffer does not hold the current field.
    if (published) then
      call sluice_slot(temperature, k, slot)
      next(0:, 0:) => slot
    else if (associated(current, spare_a)) then
      next => spare_b
    else
      next => spare_a
    end if
    if (k == 0) then
      next = 0
    else
      call sluice_param_get(dt, dt_value)
      call sluice_param_get(hot, hot_value)
      call sluice_param_since(dt, since)
      if (since /= dt_since) then
        dt_since = since
        t_base = t
        k_base = k - 1
      end if
      call exchange_halos(current, hot_value)
      call step(current, next, dt_value)
      t = t_base + real(k - k_base, c_double) * dt_value
    end if
    call sluice_apply_injections(temperature, k, next)
    if (published) then
      call sluice_commit(temperature, k)
      call sluice_publish_value(time_stream, k, t)
    end if
    call sluice_end_iteration(bridge, k)
    call sluice_stop_requested(bridge, stop_requested)
    current => next
    k = k + 1
  end do
  last = k - 1
  if (stop_requested .and. rank == 0) then
    write(error_unit, '(a,a,i0)') program_name, ': stopped by steering after iteration ', last
  end if
  call system_clock(ended)
  seconds = real(ended - started, c_double) / real(rate, c_double)
  if (rank == 0) then
    write(timing, '(f12.3)') seconds
    write(rate_text, '(f14.1)') real(nx, c_double) * real(ny, c_double) * real(last, c_double) &
      / seconds / 1e6
    write(error_unit, '(a,a,i0,a,i0,a,i0,a,i0,a,i0,a,a,a,a,a)') program_name, ': ', nx, &
      ' x ', ny, ' grid on ', px, ' x ', py, ' ranks, ', last, ' iterations in ', &
      trim(adjustl(timing)), ' s (', trim(adjustl(rate_text)), ' Mcell updates/s)'
  end if
  call MPI_Type_free(column_type, ierr)
  deallocate(spare_a, spare_b)
  call sluice_finalize(bridge)
  call MPI_Finalize(ierr)

contains

  subroutine parse()
    integer :: i, n, length, status
    character(len=:), allocatable :: arg, value
    n = command_argument_count()
    i = 1
    do while (i <= n)
      arg = argument(i)
      if (arg == '--help' .or. arg == '-h') then
        write(output_unit, '(a)') &
          'usage: heat2d-fortran [--nx N] [--ny N] [--iters N] [--every N] [--dt X]', &
          '  --nx N      global rows (default 2048); must divide evenly over the process rows', &
          '  --ny N      global columns (default 2048); must divide evenly over the process ' // &
          'columns', &
          '  --iters N   time steps (default 100); iterations 0..N, 0 is the initial field', &
          '  --every N   publish iteration k when k % N == 0 (default 1)', &
          '  --dt X      time step (default 0.2); stable for 0 < dt <= 0.25', &
          'Publishes the stream ''temperature'' (f64, NX x NY) and ''time'' (f64, 1 element).', &
          'Run with heat2d-analytics in one MPMD job (see scripts/demo).'
        stop
      end if
      if (i + 1 > n) then
        write(error_unit, '(a,a,a,a)') program_name, ': ', arg, ' needs a value (see --help)'
        error stop 2
      end if
      value = argument(i + 1)
      status = 0
      select case (arg)
      case ('--nx')
        read(value, *, iostat=status) nx
      case ('--ny')
        read(value, *, iostat=status) ny
      case ('--iters')
        read(value, *, iostat=status) iters
      case ('--every')
        read(value, *, iostat=status) every
      case ('--dt')
        read(value, *, iostat=status) dt0
      case default
        write(error_unit, '(a,a,a,a)') program_name, ': unknown option ', arg, ' (see --help)'
        error stop 2
      end select
      if (status /= 0) then
        write(error_unit, '(a,a,a,a,a,a)') program_name, ': ', arg, ' expects a number, got ''', &
          value, ''' (see --help)'
        error stop 2
      end if
      i = i + 2
    end do
    length = 0
    if (nx <= 0 .or. ny <= 0) then
      call refuse('--nx and --ny must be positive')
    else if (iters < 0) then
      call refuse('--iters must be 0 or more')
    else if (every <= 0) then
      call refuse('--every must be positive')
    else if (.not. (dt0 > 0 .and. dt0 <= 0.25_c_double)) then
      call refuse('--dt must be in (0, 0.25]: larger steps make the explicit scheme unstable')
    end if
  end subroutine parse

  function argument(i) result(text)
    integer, intent(in) :: i
    character(len=:), allocatable :: text
    integer :: length
    call get_command_argument(i, length=length)
    allocate(character(len=length) :: text)
    call get_command_argument(i, text)
  end function argument

  subroutine refuse(problem)
    character(len=*), intent(in) :: problem
    write(error_unit, '(a,a,a)') program_name, ': ', problem
    error stop 2
  end subroutine refuse

  ! Fills halos: neighbours' edges, or the Dirichlet values at the global boundary.
  subroutine exchange_halos(f, hot_boundary)
    real(c_double), intent(inout) :: f(0:, 0:)
    real(c_double), intent(in) :: hot_boundary
    integer :: status(MPI_STATUS_SIZE), e
    call MPI_Sendrecv(f(1, 1), cols, MPI_DOUBLE_PRECISION, up, 0, f(1, rows + 1), cols, &
      MPI_DOUBLE_PRECISION, down, 0, comm, status, e)
    call MPI_Sendrecv(f(1, rows), cols, MPI_DOUBLE_PRECISION, down, 1, f(1, 0), cols, &
      MPI_DOUBLE_PRECISION, up, 1, comm, status, e)
    call MPI_Sendrecv(f(1, 1), 1, column_type, left, 2, f(cols + 1, 1), 1, column_type, right, 2, &
      comm, status, e)
    call MPI_Sendrecv(f(cols, 1), 1, column_type, right, 3, f(0, 1), 1, column_type, left, 3, &
      comm, status, e)
    if (up == MPI_PROC_NULL) f(1:cols, 0) = hot_boundary
    if (down == MPI_PROC_NULL) f(1:cols, rows + 1) = 0
    if (left == MPI_PROC_NULL) f(0, 1:rows) = 0
    if (right == MPI_PROC_NULL) f(cols + 1, 1:rows) = 0
  end subroutine exchange_halos

  ! One explicit step into the owned cells of `out`, summed in the order of the
  ! reference (parentheses are honoured; the build disables FMA contraction).
  subroutine step(f, out, r)
    real(c_double), intent(in) :: f(0:, 0:)
    real(c_double), intent(inout) :: out(0:, 0:)
    real(c_double), intent(in) :: r
    integer :: i, j
    real(c_double) :: c
    do i = 1, rows
      do j = 1, cols
        c = f(j, i)
        out(j, i) = c + r * ((((f(j, i - 1) + f(j, i + 1)) + f(j - 1, i)) + f(j + 1, i)) - 4 * c)
      end do
    end do
  end subroutine step

end program heat2d_fortran
