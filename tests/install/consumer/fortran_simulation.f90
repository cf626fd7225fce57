! A simulation in Fortran built against an installed sluice (pkg-config sluice-fortran):
! the same stream "values" as c_simulation.c, for reader.cpp to check.
program fortran_simulation
  use mpi
  use sluice
  implicit none
  integer :: ierr, comm, rank, nprocs, i, k
  type(sluice_bridge) :: bridge
  type(sluice_stream) :: values
  real(c_double), pointer :: slot(:)

  call MPI_Init(ierr)
  call sluice_init_split(comm, bridge)
  call MPI_Comm_rank(comm, rank, ierr)
  call MPI_Comm_size(comm, nprocs, ierr)
  call sluice_expose(bridge, 'values', SLUICE_F64, [4 * nprocs], [4 * rank], [4], values)
  do k = 0, 2
    call sluice_slot(values, k, slot)
    do i = 1, 4
      slot(i) = 4 * rank + (i - 1) + 100 * k
    end do
    call sluice_commit(values, k)
    call sluice_end_iteration(bridge, k)
  end do
  call sluice_finalize(bridge)
  if (rank == 0) print '(a,a,a,i0,a)', 'Fortran simulation OK: sluice ', sluice_version(), ', ', &
    nprocs, ' simulation ranks'
  call MPI_Finalize(ierr)
end program fortran_simulation
