! A Fortran block must reach a C++ reader with the right values in the right place
! (fortran_orientation_reader.cpp checks). Each simulation rank owns columns
! [3*rank, 3*rank + 3) of a Fortran array g(7, 3*P), held with one halo cell on every
! side, where g(i, j) = 100 * i + j (1-based global indices). Iteration 0 is published
! by copy, iteration 1 computed in the slot (zero-copy), both + 10000 * k.
program fortran_producer
  use mpi
  use sluice
  use, intrinsic :: iso_c_binding, only: c_associated
  implicit none
  integer, parameter :: n1 = 7, width = 3
  integer :: ierr, comm, rank, nprocs, i, j, k, status
  type(sluice_bridge) :: bridge
  type(sluice_stream) :: field, step
  real(c_double), allocatable :: local(:,:)
  real(c_double), pointer :: slot(:,:)
  real(c_double), pointer :: wrong_rank(:)

  call MPI_Init(ierr)
  call sluice_init_split(comm, bridge)
  call MPI_Comm_rank(comm, rank, ierr)
  call MPI_Comm_size(comm, nprocs, ierr)
  call sluice_expose(bridge, 'fortran_field', SLUICE_F64, [n1, width * nprocs], &
    [0, width * rank], [n1, width], field, local_shape=[n1 + 2, width + 2], local_offset=[1, 1])
  call sluice_expose_value(bridge, 'fortran_step', SLUICE_I64, step)

  ! Mistakes come back in ierr, with sluice_last_error() saying what is wrong.
  allocate(local(n1, width))
  call sluice_publish(field, 0, local, status)
  call expect(status == SLUICE_ERR_INVALID_ARGUMENT, 'publishing an array of the wrong shape')
  call expect(index(sluice_last_error(), 'local shape') > 0, 'the shape message')
  call sluice_slot(field, 0, wrong_rank, status)
  call expect(status == SLUICE_ERR_INVALID_ARGUMENT, 'a slot of the wrong rank')
  deallocate(local)

  allocate(local(0:n1 + 1, 0:width + 1))
  do k = 0, 1
    if (k == 0) then
      local = -1
      call fill(local, k)
      call sluice_publish(field, k, local)
    else
      call sluice_slot(field, k, slot)
      slot = -1
      call fill(slot, k)
      call sluice_commit(field, k)
    end if
    call sluice_publish_value(step, k, int(k, c_int64_t))
    call sluice_end_iteration(bridge, k)
  end do
  deallocate(local)
  call sluice_finalize(bridge)
  call expect(.not. c_associated(bridge%ptr), 'sluice_finalize clears the handle')
  if (rank == 0) print '(a)', 'fortran producer OK'
  call MPI_Finalize(ierr)

contains

  subroutine fill(a, iteration)
    real(c_double), intent(inout) :: a(0:, 0:)
    integer, intent(in) :: iteration
    do j = 1, width
      do i = 1, n1
        a(i, j) = 100 * i + (width * rank + j) + 10000 * iteration
      end do
    end do
  end subroutine fill

  subroutine expect(condition, what)
    logical, intent(in) :: condition
    character(len=*), intent(in) :: what
    if (.not. condition) then
      print '(a,a,a,a)', 'FAILED: ', what, ': ', sluice_last_error()
      call MPI_Abort(MPI_COMM_WORLD, 1, ierr)
    end if
  end subroutine expect

end program fortran_producer
