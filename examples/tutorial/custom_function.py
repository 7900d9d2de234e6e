# PyTorch: 새 autograd Function 정의하기 (Defining new autograd functions)
#
# 2계층 ReLU 신경망을 학습하되, ReLU를 torch.autograd.Function을 상속한 사용자 정의
# 함수로 구현한다. forward()는 입력 Tensor로 출력 Tensor를 계산하고,
# backward()는 출력에 대한 손실의 변화도를 받아 입력에 대한 변화도를 계산한다.
import ember as torch


class MyReLU(torch.autograd.Function):
    """torch.autograd.Function을 상속받아 사용자 정의 autograd Function을 구현한다."""

    @staticmethod
    def forward(ctx, input):
        # ctx는 역전파 계산에 필요한 정보를 저장하는 컨텍스트 객체다.
        # ctx.save_for_backward로 역전파 단계에서 쓸 Tensor를 저장한다.
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        # 출력에 대한 손실의 변화도를 받아 입력에 대한 손실의 변화도를 계산한다.
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


torch.manual_seed(0)
dtype = torch.float
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# N은 배치 크기, D_in은 입력의 차원, H는 은닉층의 차원, D_out은 출력 차원이다.
N, D_in, H, D_out = 64, 1000, 100, 10

x = torch.randn(N, D_in, device=device, dtype=dtype)
y = torch.randn(N, D_out, device=device, dtype=dtype)

w1 = torch.randn(D_in, H, device=device, dtype=dtype, requires_grad=True)
w2 = torch.randn(H, D_out, device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(500):
    # 사용자 정의 Function은 .apply 메소드로 적용한다.
    relu = MyReLU.apply

    # 순전파 단계: 사용자 정의 autograd 연산으로 ReLU를 계산한다.
    y_pred = relu(x.mm(w1)).mm(w2)

    loss = (y_pred - y).pow(2).sum()
    if t == 0 or t % 100 == 99:
        print(t, "번째 학습결과 : ", loss.item())

    # autograd로 역전파 단계를 계산한다.
    loss.backward()

    # 경사하강법으로 가중치를 갱신한다.
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad

        w1.grad.zero_()
        w2.grad.zero_()
